/// The input padded with a constant, as `numpy.pad(x, pad_width, constant_values=value)`:
/// `pad_width` holds one `[before, after]` pair per axis (or one pair for every axis, as
/// NumPy broadcasts it). A negative width crops instead, as `torch.nn.functional.pad`
/// does; a result shorter than 0 along an axis is refused.
public struct Pad: Operator {
    public static let signature = OpSignature(
        name: "pad", arity: .exactly(1), inputs: ["x"],
        attributes: [
            AttributeSpec(
                "pad_width", .intPairs, default: nil,
                "[[before, after], ...] per axis, or one pair for all (required); negative crops"),
            AttributeSpec("value", .number, default: .number(0), "the constant written into the padding"),
        ],
        summary: "x padded with value, pad_width [[before, after]] per axis as numpy.pad; negative widths crop")

    public let padWidth: [(before: Int, after: Int)]
    public let value: Double

    public init(padWidth: [(before: Int, after: Int)], value: Double = 0) {
        self.padWidth = padWidth
        self.value = value
    }

    public init(attributes: Attributes) throws(OpError) {
        guard let pairs = try attributes.intPairs("pad_width") else {
            throw .attribute(name: "pad_width", detail: "is required")
        }
        self.init(padWidth: pairs.map { (before: $0.0, after: $0.1) }, value: try attributes.number("value"))
    }

    /// One pair per axis of an input of `rank`.
    private func pairs(rank: Int) throws(OpError) -> [(before: Int, after: Int)] {
        if padWidth.count == rank { return padWidth }
        if padWidth.count == 1 { return Array(repeating: padWidth[0], count: rank) }
        throw .attribute(
            name: "pad_width", detail: "has \(padWidth.count) pairs; the input has rank \(rank) (give \(rank) pairs or one)")
    }

    public func outputShape(_ inputs: [[Int]]) throws(OpError) -> [Int] {
        var out = inputs[0]
        for (i, p) in try pairs(rank: out.count).enumerated() {
            let (a, o1) = out[i].addingReportingOverflow(p.before)
            let (b, o2) = a.addingReportingOverflow(p.after)
            guard !o1 && !o2 && b >= 0 else {
                throw .attribute(
                    name: "pad_width",
                    detail: "[\(p.before), \(p.after)] leaves axis \(i) of length \(inputs[0][i]) with a negative or overflowing length")
            }
            out[i] = b
        }
        guard Shape.count(out) != nil else { throw .attribute(name: "pad_width", detail: "the result has too many elements") }
        return out
    }

    /// The box the input and the output share: where it starts in each, and its extent.
    private func overlap(_ shape: [Int]) -> (input: [Int], output: [Int], extent: [Int])? {
        guard let p = try? pairs(rank: shape.count) else { return nil }
        var inStart: [Int] = [], outStart: [Int] = [], extent: [Int] = []
        for (i, n) in shape.enumerated() {
            let lo = max(0, -p[i].before), hi = min(n, n + p[i].after)
            inStart.append(lo)
            outStart.append(lo + p[i].before)
            extent.append(max(0, hi - lo))
        }
        return (inStart, outStart, extent)
    }

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func forward<T: Scalar>(_ x: [NDArray<T>]) -> NDArray<T> {
        guard let shape = try? outputShape([x[0].shape]), let box = overlap(x[0].shape) else { return x[0] }
        var out = NDArray(repeating: T(value), shape: shape)
        x[0].data.withUnsafeBufferPointer { src in
            out.data.withUnsafeMutableBufferPointer { dst in
                BoxCopy.copy(src, x[0].shape, box.input, dst, shape, box.output, box.extent)
            }
        }
        return out
    }

    // The input elements kept in the output receive their gradient; cropped ones get 0.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func vjp<T: Scalar>(
        _ grad: NDArray<T>, inputs x: [NDArray<T>], output: NDArray<T>, needs: [Bool]
    ) -> [NDArray<T>?] {
        guard let box = overlap(x[0].shape) else { return [nil] }
        var result = NDArray(repeating: T(0), shape: x[0].shape)
        grad.data.withUnsafeBufferPointer { src in
            result.data.withUnsafeMutableBufferPointer { dst in
                BoxCopy.copy(src, grad.shape, box.output, dst, x[0].shape, box.input, box.extent)
            }
        }
        return [result]
    }
}

/// Copies a box of elements between two row-major arrays of the same rank.
enum BoxCopy {
    /// Copies the box of `extent` starting at `srcStart` in `src` (of `srcShape`) to
    /// `dstStart` in `dst` (of `dstShape`), one contiguous run per innermost row.
    static func copy<T>(
        _ src: UnsafeBufferPointer<T>, _ srcShape: [Int], _ srcStart: [Int],
        _ dst: UnsafeMutableBufferPointer<T>, _ dstShape: [Int], _ dstStart: [Int], _ extent: [Int]
    ) {
        guard let s = src.baseAddress, let d = dst.baseAddress else { return }
        let rank = extent.count
        if rank == 0 {
            d.update(from: s, count: 1)
            return
        }
        guard !extent.contains(0) else { return }
        let ss = Shape.strides(srcShape), ds = Shape.strides(dstShape)
        var so = 0, dOff = 0
        for i in 0..<rank {
            so += srcStart[i] * ss[i]
            dOff += dstStart[i] * ds[i]
        }
        let run = extent[rank - 1]
        var index = [Int](repeating: 0, count: rank)
        while true {
            (d + dOff).update(from: s + so, count: run)
            var axis = rank - 2
            while axis >= 0 {
                index[axis] += 1
                so += ss[axis]
                dOff += ds[axis]
                if index[axis] < extent[axis] { break }
                so -= ss[axis] * extent[axis]
                dOff -= ds[axis] * extent[axis]
                index[axis] = 0
                axis -= 1
            }
            if axis < 0 { return }
        }
    }
}

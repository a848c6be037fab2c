/// Every `step`-th element from `start` to `stop` along one axis, as Python's
/// `x[..., start:stop:step]` (PyTorch and NumPy basic slicing, positive step only).
///
/// Named `SliceOp` because `Slice` is a standard-library type.
public struct SliceOp: Operator {
    public static let signature = OpSignature(
        name: "slice", arity: .exactly(1), inputs: ["x"],
        attributes: [
            AttributeSpec("axis", .int, default: .int(0), "the axis to slice, negatives from the end"),
            AttributeSpec("start", .optionalInt, default: .null, "first index, negatives from the end; null: 0"),
            AttributeSpec("stop", .optionalInt, default: .null, "end index (excluded), negatives from the end; null: the length"),
            AttributeSpec("step", .int, default: .int(1), "stride, at least 1"),
        ],
        summary: "x[start:stop:step] along axis, with Python's clamping of out-of-range bounds",
        pytorch: "x[(slice(None),) * axis + (slice(start, stop, step),)]",
        shapeRule: "x's shape with axis's length the number of indices start, start + step, ... below stop, after Python's clamping")

    public let axis: Int
    public let start: Int?
    public let stop: Int?
    public let step: Int

    public init(axis: Int = 0, start: Int? = nil, stop: Int? = nil, step: Int = 1) {
        self.axis = axis
        self.start = start
        self.stop = stop
        self.step = step
    }

    public init(attributes: Attributes) throws(OpError) {
        self.init(
            axis: try attributes.int("axis"), start: try attributes.optionalInt("start"),
            stop: try attributes.optionalInt("stop"), step: try attributes.int("step"))
        try checkStep()
    }

    private func checkStep() throws(OpError) {
        guard step > 0 else { throw .attribute(name: "step", detail: "must be at least 1, got \(step)") }
    }

    /// The axis, the first index and the number of indices taken, for an input of `shape`.
    private func resolved(_ shape: [Int]) throws(OpError) -> (axis: Int, first: Int, count: Int) {
        try checkStep()
        let a = try Shape.resolveAxis(axis, rank: shape.count)
        let n = shape[a]
        // Python's slice.indices: negatives count from the end, then clamp to [0, n].
        func bound(_ i: Int?, _ absent: Int) -> Int {
            guard let i else { return absent }
            return i < 0 ? max(i + n, 0) : min(i, n)
        }
        let first = bound(start, 0), end = bound(stop, n)
        return (a, first, end > first ? (end - first - 1) / step + 1 : 0)
    }

    public func outputShape(_ inputs: [[Int]]) throws(OpError) -> [Int] {
        let r = try resolved(inputs[0])
        var out = inputs[0]
        out[r.axis] = r.count
        return out
    }

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func forward<T: Scalar>(_ x: [NDArray<T>]) -> NDArray<T> {
        guard let r = try? resolved(x[0].shape) else { return x[0] }
        var shape = x[0].shape
        shape[r.axis] = r.count
        let (outer, n, inner) = Shape.split(x[0].shape, at: r.axis)
        let step = step
        return x[0].data.withUnsafeBufferPointer { src in
            NDArray(shape: shape) { dst in
                guard inner > 0, let src = src.baseAddress, let out = dst.baseAddress else { return }
                var o = 0
                for i in 0..<outer {
                    for j in 0..<r.count {
                        (out + o).initialize(from: src + (i * n + r.first + j * step) * inner, count: inner)
                        o += inner
                    }
                }
            }
        }
    }

    // The taken elements receive the upstream gradient; the skipped ones receive 0.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func vjp<T: Scalar>(
        _ grad: NDArray<T>, inputs x: [NDArray<T>], output: NDArray<T>, needs: [Bool]
    ) -> [NDArray<T>?] {
        guard let r = try? resolved(x[0].shape) else { return [nil] }
        let (outer, n, inner) = Shape.split(x[0].shape, at: r.axis)
        var result = [T](repeating: 0, count: x[0].count)
        grad.data.withUnsafeBufferPointer { src in
            result.withUnsafeMutableBufferPointer { dst in
                guard inner > 0, let src = src.baseAddress, let out = dst.baseAddress else { return }
                var o = 0
                for i in 0..<outer {
                    for j in 0..<r.count {
                        (out + (i * n + r.first + j * step) * inner).update(from: src + o, count: inner)
                        o += inner
                    }
                }
            }
        }
        return [NDArray(shape: x[0].shape, data: result)]
    }
}

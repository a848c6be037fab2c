/// Elements of `x` picked along `axis` by an index tensor of the same rank, as
/// `torch.gather` (`numpy.take_along_axis`): `out[i][j][k] = x[i][index[i][j][k]][k]` for
/// `axis` 1. The output has the index's shape, which may be shorter than `x` on every
/// axis. Indices are integers in `[0, n)`; torch refuses negatives, and so does this op.
public struct Gather: Operator {
    public static let signature = OpSignature(
        name: "gather", arity: .exactly(2), inputs: ["x", "indices"],
        attributes: [AttributeSpec("axis", .int, default: nil, "the axis indexed (required), negatives from the end")],
        summary: "x picked along axis by an index tensor of x's rank, as torch.gather; indices get no gradient")

    public let axis: Int

    public init(axis: Int) { self.axis = axis }

    public init(attributes: Attributes) throws(OpError) {
        guard attributes["axis"] != nil, attributes["axis"] != .null else {
            throw .attribute(name: "axis", detail: "is required")
        }
        self.init(axis: try attributes.int("axis"))
    }

    public func outputShape(_ inputs: [[Int]]) throws(OpError) -> [Int] {
        let (x, index) = (inputs[0], inputs[1])
        let a = try Shape.resolveAxis(axis, rank: x.count, scalarAllowed: true)
        guard x.count == index.count else {
            throw .shape(
                "gather: the index \(Shape.describe(index)) must have x's rank \(x.count) (x is \(Shape.describe(x)))")
        }
        for d in x.indices where d != a && index[d] > x[d] {
            throw .shape(
                "gather: the index \(Shape.describe(index)) is longer than x \(Shape.describe(x)) on axis \(d)")
        }
        return index
    }

    public func validateValues<T: Scalar>(_ inputs: [NDArray<T>]) throws(OpError) {
        let x = inputs[0].shape
        let a = try Shape.resolveAxis(axis, rank: x.count, scalarAllowed: true)
        try IndexValues.check(inputs[1].data, input: 1, what: "index", count: x.isEmpty ? 1 : x[a])
    }

    /// For every element of the index (row-major), the offset in `x` it reads, or -1 for
    /// an unchecked, invalid index.
    private func offsets<T: Scalar>(_ x: NDArray<T>, _ index: NDArray<T>) -> [Int] {
        let shape = index.shape, rank = shape.count
        guard rank > 0 else { return [IndexValues.resolve(index.data[0], 1) == nil ? -1 : 0] }
        guard let a = try? Shape.resolveAxis(axis, rank: rank), index.count > 0 else { return [] }
        let xs = Shape.strides(x.shape), n = x.shape[a]
        var result = [Int](repeating: 0, count: index.count)
        var position = [Int](repeating: 0, count: rank)
        var base = 0  // offset of `position` in x, without the indexed axis
        index.data.withUnsafeBufferPointer { ind in
            for e in 0..<index.count {
                result[e] = IndexValues.resolve(ind[e], n).map { base + $0 * xs[a] } ?? -1
                var d = rank - 1
                while d >= 0 {
                    position[d] += 1
                    if d != a { base += xs[d] }
                    if position[d] < shape[d] { break }
                    if d != a { base -= xs[d] * shape[d] }
                    position[d] = 0
                    d -= 1
                }
            }
        }
        return result
    }

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func forward<T: Scalar>(_ x: [NDArray<T>]) -> NDArray<T> {
        let at = offsets(x[0], x[1])
        return x[0].data.withUnsafeBufferPointer { src in
            NDArray(shape: x[1].shape) { dst in
                for (e, o) in at.enumerated() { dst[e] = o >= 0 ? src[o] : .nan }
            }
        }
    }

    // Each picked element sends its gradient back; repeated picks add, in index order.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func vjp<T: Scalar>(
        _ grad: NDArray<T>, inputs x: [NDArray<T>], output: NDArray<T>, needs: [Bool]
    ) -> [NDArray<T>?] {
        guard needs[0] else { return [nil, nil] }
        let at = offsets(x[0], x[1])
        var result = NDArray(repeating: T(0), shape: x[0].shape)
        grad.data.withUnsafeBufferPointer { g in
            result.data.withUnsafeMutableBufferPointer { dst in
                for (e, o) in at.enumerated() where o >= 0 { dst[o] += g[e] }
            }
        }
        return [result, nil]
    }
}

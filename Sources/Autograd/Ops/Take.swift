/// Slices of `x` picked along `axis` by an index tensor, as `numpy.take(x, indices, axis)`
/// (`torch.index_select` for any index shape): the output's shape is
/// `x.shape[:axis] + indices.shape + x.shape[axis+1:]`. Indices are integers in
/// `[-n, n)`; negatives count from the end, as `numpy.take` and `torch.take` allow.
public struct Take: Operator {
    public static let signature = OpSignature(
        name: "take", arity: .exactly(2), inputs: ["x", "indices"],
        attributes: [AttributeSpec("axis", .int, default: .int(0), "the axis indexed, negatives from the end")],
        summary: "x indexed along axis by integer indices (negatives wrap), as numpy.take; indices get no gradient")

    public let axis: Int

    public init(axis: Int = 0) { self.axis = axis }

    public init(attributes: Attributes) throws(OpError) {
        self.init(axis: try attributes.int("axis"))
    }

    private func resolvedAxis(_ shape: [Int]) throws(OpError) -> Int {
        guard !shape.isEmpty else { throw .shape("take: x must have at least one axis, got a scalar") }
        return try Shape.resolveAxis(axis, rank: shape.count)
    }

    public func outputShape(_ inputs: [[Int]]) throws(OpError) -> [Int] {
        let x = inputs[0], a = try resolvedAxis(x)
        let out = Array(x[..<a]) + inputs[1] + Array(x[(a + 1)...])
        guard Shape.count(out) != nil else { throw .shape("take: the result has too many elements") }
        return out
    }

    public func validateValues<T: Scalar>(_ inputs: [NDArray<T>]) throws(OpError) {
        let a = try resolvedAxis(inputs[0].shape)
        try IndexValues.check(inputs[1].data, input: 1, what: "index", count: inputs[0].shape[a], wraps: true)
    }

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func forward<T: Scalar>(_ x: [NDArray<T>]) -> NDArray<T> {
        guard let shape = try? outputShape([x[0].shape, x[1].shape]), let a = try? resolvedAxis(x[0].shape)
        else { return x[0] }
        let (outer, n, inner) = Shape.split(x[0].shape, at: a)
        let k = x[1].count
        return x[0].data.withUnsafeBufferPointer { src in
            x[1].data.withUnsafeBufferPointer { ind in
                NDArray(shape: shape) { dst in
                    guard let out = dst.baseAddress, let src = src.baseAddress, inner > 0 else { return }
                    for o in 0..<outer {
                        for j in 0..<k {
                            let row = out + (o * k + j) * inner
                            if let i = IndexValues.resolve(ind[j], n) {
                                row.initialize(from: src + (o * n + i) * inner, count: inner)
                            } else {
                                row.initialize(repeating: .nan, count: inner)
                            }
                        }
                    }
                }
            }
        }
    }

    // Each picked slice sends its gradient back to where it came from; an index picked
    // twice receives the sum, added in index order.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func vjp<T: Scalar>(
        _ grad: NDArray<T>, inputs x: [NDArray<T>], output: NDArray<T>, needs: [Bool]
    ) -> [NDArray<T>?] {
        guard needs[0], let a = try? resolvedAxis(x[0].shape) else { return [nil, nil] }
        let (outer, n, inner) = Shape.split(x[0].shape, at: a)
        let k = x[1].count
        var result = NDArray(repeating: T(0), shape: x[0].shape)
        grad.data.withUnsafeBufferPointer { g in
            x[1].data.withUnsafeBufferPointer { ind in
                result.data.withUnsafeMutableBufferPointer { dst in
                    for o in 0..<outer {
                        for j in 0..<k {
                            guard let i = IndexValues.resolve(ind[j], n) else { continue }
                            let from = (o * k + j) * inner, to = (o * n + i) * inner
                            for e in 0..<inner { dst[to + e] += g[from + e] }
                        }
                    }
                }
            }
        }
        return [result, nil]
    }
}

/// Rows of a weight table looked up by integer indices, as
/// `torch.nn.functional.embedding(indices, weight)` (inputs in the table's order: weight
/// first). `weight` is `[V, D]`; the output is `indices.shape + [D]`. Indices are integers
/// in `[0, V)`, as torch requires.
public struct EmbeddingOp: Operator {
    public static let signature = OpSignature(
        name: "embedding", arity: .exactly(2), inputs: ["weight", "indices"],
        summary: "rows of weight [V, D] at integer indices, shaped indices.shape + [D]; the gradient scatter-adds")

    public init() {}

    public init(attributes: Attributes) throws(OpError) {}

    public func outputShape(_ inputs: [[Int]]) throws(OpError) -> [Int] {
        guard inputs[0].count == 2 else {
            throw .shape("embedding: weight must be [V, D], got \(Shape.describe(inputs[0]))")
        }
        let out = inputs[1] + [inputs[0][1]]
        guard Shape.count(out) != nil else { throw .shape("embedding: the result has too many elements") }
        return out
    }

    public func validateValues<T: Scalar>(_ inputs: [NDArray<T>]) throws(OpError) {
        try IndexValues.check(inputs[1].data, input: 1, what: "index", count: inputs[0].shape[0])
    }

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func forward<T: Scalar>(_ x: [NDArray<T>]) -> NDArray<T> {
        guard x[0].rank == 2 else { return x[0] }
        let (v, d) = (x[0].shape[0], x[0].shape[1])
        return x[0].data.withUnsafeBufferPointer { w in
            x[1].data.withUnsafeBufferPointer { ind in
                NDArray(shape: x[1].shape + [d]) { dst in
                    guard let out = dst.baseAddress, let w = w.baseAddress, d > 0 else { return }
                    for j in 0..<ind.count {
                        if let i = IndexValues.resolve(ind[j], v), ind[j] >= 0 {
                            (out + j * d).initialize(from: w + i * d, count: d)
                        } else {
                            (out + j * d).initialize(repeating: .nan, count: d)
                        }
                    }
                }
            }
        }
    }

    // The weight's gradient: each output row added into the row it was read from, in
    // index order (deterministic, whatever repeats).
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func vjp<T: Scalar>(
        _ grad: NDArray<T>, inputs x: [NDArray<T>], output: NDArray<T>, needs: [Bool]
    ) -> [NDArray<T>?] {
        guard needs[0], x[0].rank == 2 else { return [nil, nil] }
        let (v, d) = (x[0].shape[0], x[0].shape[1])
        var result = NDArray(repeating: T(0), shape: x[0].shape)
        grad.data.withUnsafeBufferPointer { g in
            x[1].data.withUnsafeBufferPointer { ind in
                result.data.withUnsafeMutableBufferPointer { dst in
                    for j in 0..<ind.count {
                        guard let i = IndexValues.resolve(ind[j], v), ind[j] >= 0 else { continue }
                        let from = j * d, to = i * d
                        for e in 0..<d { dst[to + e] += g[from + e] }
                    }
                }
            }
        }
        return [result, nil]
    }
}

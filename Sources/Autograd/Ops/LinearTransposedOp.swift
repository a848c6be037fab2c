/// `y = x @ Wᵀ + b` with `W` of shape `[out, in]`: `torch.nn.functional.linear`'s layout,
/// the one ONNX exporters store nn.Linear's weight in (`Gemm` with `transB = 1`). BLAS reads
/// `W` transposed (gemm's transB flag), so neither the forward pass nor the gradients copy
/// or transpose it, and `W`'s gradient `Gᵀ x` comes out in `W`'s own `[out, in]` layout.
///
/// Not a wire op (the wire's `linear` keeps the seed engine's `[in, out]`): the ONNX
/// importer emits it for a `Gemm` node with `transB = 1`, alpha = beta = 1 and a `C`.
public struct LinearTransposedOp: Operator, Equatable {
    public static let signature = OpSignature(
        name: "linear_transposed", arity: .range(2, 3), inputs: ["x", "W", "b"],
        summary: "x @ W.T + b with x [..., in], W [out, in], optional b [out] (or any shape broadcasting to the output)",
        pytorch: "torch.nn.functional.linear(x, W, b)",
        shapeRule: "x [..., in] with W [out, in] gives [..., out]; b must broadcast to it")

    /// The op; it has no attributes.
    public init() {}
    public init(attributes: Attributes) {}

    public func outputShape(_ inputs: [[Int]]) throws(OpError) -> [Int] {
        let x = inputs[0], w = inputs[1]
        guard x.count >= 1 else { throw .shape("linear_transposed: x must have at least one axis, got []") }
        guard w.count == 2 else {
            throw .shape("linear_transposed: W must be 2-D [out, in], got \(Shape.describe(w))")
        }
        guard x[x.count - 1] == w[1] else {
            throw .shape("linear_transposed: x's last axis \(x[x.count - 1]) differs from W's in-features \(w[1])")
        }
        let out = Array(x.dropLast()) + [w[0]]
        if inputs.count == 3 && Shape.broadcast(out, inputs[2]) != out {
            throw .shape(
                "linear_transposed: b of shape \(Shape.describe(inputs[2])) does not broadcast to the output \(Shape.describe(out))")
        }
        return out
    }

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func forward<T: Scalar>(_ x: [NDArray<T>]) -> NDArray<T> {
        let cols = x[1].shape[0]
        let outShape = Array(x[0].shape.dropLast()) + [cols]
        // As `linear`: a bias of one row goes into gemm's C, any other shape is added after.
        if x.count == 3 && x[2].count == cols && x[2].shape.last == cols {
            return gemm(flatten(x[0]), x[1], transB: true, addend: x[2]).reshaped(outShape)
        }
        var y = gemm(flatten(x[0]), x[1], transB: true)
        if x.count == 3 { y = NDArray.broadcast(y, x[2], to: y.shape) { $0 + $1 } }
        return y.reshaped(outShape)
    }

    // Over the flattened batch ([N, in] and [N, out]): dx = G W (no transpose at all) and
    // dW = Gᵀ x, one gemm with transA, already [out, in]; db = G summed over the batch.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func vjp<T: Scalar>(
        _ grad: NDArray<T>, inputs x: [NDArray<T>], output: NDArray<T>, needs: [Bool]
    ) -> [NDArray<T>?] {
        let g = flatten(grad)
        var result: [NDArray<T>?] = [
            needs[0] ? gemm(g, x[1]).reshaped(x[0].shape) : nil,
            needs[1] ? gemm(g, flatten(x[0]), transA: true) : nil,
        ]
        if x.count == 3 {
            let b = x[2], cols = g.shape[1]
            // As `linear`: a bias of one row by columnSums (the engine's bytes), else the
            // engine un-broadcasts the gradient.
            if needs[2] && cols > 1 && b.count == cols && b.shape.last == cols {
                result.append(LinearOp.columnSums(g).reshaped(b.shape))
            } else {
                result.append(needs[2] ? grad : nil)
            }
        }
        return result
    }

    /// `[..., n]` as `[batch, n]`.
    private func flatten<T>(_ a: NDArray<T>) -> NDArray<T> {
        a.reshaped([a.shape.dropLast().reduce(1, *), a.shape[a.shape.count - 1]])
    }
}

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
        try LinearProduct.outputShape("linear_transposed", inputs, transposed: true)
    }

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func forward<T: Scalar>(_ x: [NDArray<T>]) -> NDArray<T> { LinearProduct.forward(x, transposed: true) }

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func vjp<T: Scalar>(
        _ grad: NDArray<T>, inputs x: [NDArray<T>], output: NDArray<T>, needs: [Bool]
    ) -> [NDArray<T>?] {
        LinearProduct.vjp(grad, x, needs: needs, transposed: true)
    }
}

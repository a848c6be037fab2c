/// Hyperbolic tangent elementwise.
public struct TanhOp: Operator {
    public static let signature = OpSignature(
        name: "tanh", arity: .exactly(1), inputs: ["x"], summary: "hyperbolic tangent elementwise",
        pytorch: "torch.tanh(x)", shapeRule: OpSignature.sameShape)

    /// The op; it has no attributes.
    public init() {}
    public init(attributes: Attributes) {}

    public func outputShape(_ inputs: [[Int]]) -> [Int] { Shape.sameShapeRule(inputs) }

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func forward<T: Scalar>(_ x: [NDArray<T>]) -> NDArray<T> {
        FusedElementwise.large(.unary(.tanh, 0), x) ?? x[0].map { T.tanh($0) }
    }

    // tanh' = 1 - tanh², from the output, as torch's tanh_backward.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func vjp<T: Scalar>(
        _ grad: NDArray<T>, inputs: [NDArray<T>], output: NDArray<T>, needs: [Bool]
    ) -> [NDArray<T>?] {
        FusedElementwise.largeGradient(.unary(.tanh, 0), grad, inputs, needs: needs)
            ?? [grad.zip(output) { g, y in g * (1 - y * y) }]
    }
}

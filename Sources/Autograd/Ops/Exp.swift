/// `e ** x` elementwise.
public struct Exp: Operator {
    public static let signature = OpSignature(
        name: "exp", arity: .exactly(1), inputs: ["x"], summary: "e ** x elementwise",
        pytorch: "torch.exp(x)", shapeRule: OpSignature.sameShape)

    /// The op; it has no attributes.
    public init() {}
    public init(attributes: Attributes) {}

    public func outputShape(_ inputs: [[Int]]) -> [Int] { Shape.sameShapeRule(inputs) }

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func forward<T: Scalar>(_ x: [NDArray<T>]) -> NDArray<T> {
        FusedElementwise.large(.unary(.exp, 0), x) ?? x[0].map { T.exp($0) }
    }

    // d exp(x) = exp(x): reuse the output.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func vjp<T: Scalar>(
        _ grad: NDArray<T>, inputs: [NDArray<T>], output: NDArray<T>, needs: [Bool]
    ) -> [NDArray<T>?] {
        FusedElementwise.largeGradient(.unary(.exp, 0), grad, inputs, needs: needs)
            ?? [grad.zip(output) { $0 * $1 }]
    }
}

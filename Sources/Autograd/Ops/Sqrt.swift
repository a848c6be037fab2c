/// Square root elementwise: `sqrt(x < 0) = NaN`.
public struct Sqrt: Operator {
    public static let signature = OpSignature(
        name: "sqrt", arity: .exactly(1), inputs: ["x"], summary: "square root elementwise",
        pytorch: "torch.sqrt(x)", shapeRule: OpSignature.sameShape, notes: "derivative +inf at 0, as PyTorch")

    /// The op; it has no attributes.
    public init() {}
    public init(attributes: Attributes) {}

    public func outputShape(_ inputs: [[Int]]) -> [Int] { Shape.sameShapeRule(inputs) }

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func forward<T: Scalar>(_ x: [NDArray<T>]) -> NDArray<T> {
        FusedElementwise.large(.unary(.sqrt, 0), x) ?? x[0].map { $0.squareRoot() }
    }

    // d sqrt(x) = 1 / (2 sqrt(x)), from the output; inf at 0, as torch.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func vjp<T: Scalar>(
        _ grad: NDArray<T>, inputs: [NDArray<T>], output: NDArray<T>, needs: [Bool]
    ) -> [NDArray<T>?] {
        FusedElementwise.largeGradient(.unary(.sqrt, 0), grad, inputs, needs: needs)
            ?? [grad.zip(output) { $0 / (2 * $1) }]
    }
}

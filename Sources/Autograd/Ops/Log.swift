/// Natural logarithm elementwise: `log(0) = -inf`, `log(x < 0) = NaN`.
public struct Log: Operator {
    public static let signature = OpSignature(
        name: "log", arity: .exactly(1), inputs: ["x"], summary: "natural logarithm elementwise",
        pytorch: "torch.log(x)",
        shapeRule: OpSignature.sameShape,
        notes: "log 0 = -inf with derivative +inf there, as PyTorch")

    /// The op; it has no attributes.
    public init() {}
    public init(attributes: Attributes) {}

    public func outputShape(_ inputs: [[Int]]) -> [Int] { Shape.sameShapeRule(inputs) }

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func forward<T: Scalar>(_ x: [NDArray<T>]) -> NDArray<T> {
        FusedElementwise.large(.unary(.log, 0), x) ?? x[0].map { T.log($0) }
    }

    // d log(x) = 1/x, so g/0 = ±inf at 0, as torch.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func vjp<T: Scalar>(
        _ grad: NDArray<T>, inputs x: [NDArray<T>], output: NDArray<T>, needs: [Bool]
    ) -> [NDArray<T>?] {
        FusedElementwise.largeGradient(.unary(.log, 0), grad, x, needs: needs)
            ?? [grad.zip(x[0]) { $0 / $1 }]
    }
}

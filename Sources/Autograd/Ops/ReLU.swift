/// Rectified linear unit `max(x, 0)` elementwise; NaN stays NaN.
public struct ReLUOp: Operator {
    public static let signature = OpSignature(
        name: "relu", arity: .exactly(1), inputs: ["x"], summary: "max(x, 0) elementwise",
        pytorch: "torch.relu(x)", shapeRule: OpSignature.sameShape, notes: "gradient 0 at 0")

    /// The op; it has no attributes.
    public init() {}
    public init(attributes: Attributes) {}

    public func outputShape(_ inputs: [[Int]]) -> [Int] { Shape.sameShapeRule(inputs) }

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func forward<T: Scalar>(_ x: [NDArray<T>]) -> NDArray<T> {
        FusedElementwise.large(.unary(.relu, 0), x) ?? x[0].map { $0 < 0 ? 0 : $0 }
    }

    // g where the output is positive; the subgradient at 0 is 0, as torch's threshold_backward.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func vjp<T: Scalar>(
        _ grad: NDArray<T>, inputs: [NDArray<T>], output: NDArray<T>, needs: [Bool]
    ) -> [NDArray<T>?] {
        FusedElementwise.largeGradient(.unary(.relu, 0), grad, inputs, needs: needs)
            ?? [grad.zip(output) { g, y in y <= 0 ? 0 : g }]
    }
}

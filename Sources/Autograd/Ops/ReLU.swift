/// Rectified linear unit `max(x, 0)` elementwise; NaN stays NaN.
public struct ReLUOp: UnaryElementwise {
    public static let signature = OpSignature(
        name: "relu", arity: .exactly(1), inputs: ["x"], summary: "max(x, 0) elementwise",
        pytorch: "torch.relu(x)", shapeRule: OpSignature.sameShape, notes: "gradient 0 at 0")

    /// The op; it has no attributes.
    public init() {}
    public init(attributes: Attributes) {}

    public func value<T: Scalar>(_ x: T) -> T { x < 0 ? 0 : x }
    // g where the output is positive; the subgradient at 0 is 0, as torch's threshold_backward.
    public func derivative<T: Scalar>(_ g: T, x: T, y: T) -> T { y <= 0 ? 0 : g }
    public var kernel: FusedElementwise.Unary? { .relu }

    // torch's threshold_backward: one pass over the gradient and the output on the
    // computation's threads (`ReLUBackward`), rather than the fused kernel's general
    // evaluation of `derivative`, which took twice as long.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func vjp<T: Scalar>(
        _ grad: NDArray<T>, inputs x: [NDArray<T>], output: NDArray<T>, needs: [Bool]
    ) -> [NDArray<T>?] {
        [needs[0] ? ReLUBackward().forward([grad, output]) : nil]
    }
}

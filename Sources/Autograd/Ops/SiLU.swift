/// SiLU (swish) `x σ(x)` elementwise.
public struct SiLU: UnaryElementwise {
    public static let signature = OpSignature(
        name: "silu", arity: .exactly(1), inputs: ["x"], summary: "x * sigmoid(x) elementwise (SiLU, swish)",
        pytorch: "torch.nn.functional.silu(x)", shapeRule: OpSignature.sameShape, notes: "x / (1 + exp(-x)) as torch's CPU kernel")
    public init() {}
    public init(attributes: Attributes) {}

    // torch's CPU kernel: x / (1 + e^-x); e^-x overflowing below about -88 (float32) gives -0.
    public func value<T: Scalar>(_ x: T) -> T { x / (1 + T.exp(-x)) }
    // torch's silu_backward: grad * σ * (1 + x (1 - σ)).
    public func derivative<T: Scalar>(_ g: T, x: T, y: T) -> T {
        let s = 1 / (1 + T.exp(-x))
        return g * s * (1 + x * (1 - s))
    }
}

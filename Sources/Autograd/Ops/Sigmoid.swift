/// The logistic function `1 / (1 + e^-x)` elementwise.
public struct SigmoidOp: UnaryElementwise {
    public static let signature = OpSignature(
        name: "sigmoid", arity: .exactly(1), inputs: ["x"], summary: "1 / (1 + exp(-x)) elementwise",
        pytorch: "torch.sigmoid(x)",
        shapeRule: OpSignature.sameShape,
        notes: "two-branch form, stable at any magnitude")

    public init() {}
    public init(attributes: Attributes) {}

    public func value<T: Scalar>(_ x: T) -> T { T.sigmoid(x) }
    // σ' = σ(1 - σ), from the output, in torch's sigmoid_backward order g * (1 - σ) * σ.
    public func derivative<T: Scalar>(_ g: T, x: T, y: T) -> T { g * (1 - y) * y }
    public var kernel: FusedElementwise.Unary? { .sigmoid }
}

extension Scalar {
    /// The logistic function, with `exp` only ever of a non-positive argument: `1/(1+e^-x)`
    /// for `x >= 0`, `e^x/(1+e^x)` below, so no `exp` overflows and `sigmoid(-1000)` is 0.
    /// `Scalar.logistic` computes it branch-free, with each precision's own `exp`, so that
    /// loops vectorise (FastMath.swift).
    @inline(__always)
    static func sigmoid(_ x: Self) -> Self { logistic(x) }
}

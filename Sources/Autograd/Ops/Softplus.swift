/// Softplus `log(1 + e^x)` elementwise, with PyTorch's defaults `beta = 1` and
/// `threshold = 20`: above the threshold it is `x` itself.
public struct SoftplusOp: UnaryElementwise {
    public static let signature = OpSignature(
        name: "softplus", arity: .exactly(1), inputs: ["x"],
        summary: "log(1 + exp(x)) elementwise; x itself where x > 20",
        pytorch: "torch.nn.functional.softplus(x)",
        shapeRule: OpSignature.sameShape,
        notes: "beta 1, threshold 20 (PyTorch's defaults): the gradient is exactly 1 above 20")

    /// Where softplus becomes the identity (torch's `threshold`).
    static let threshold = 20.0

    public init() {}
    public init(attributes: Attributes) {}

    // log(1 + e^x) = max(x, 0) + log1p(e^-|x|): exp of a non-positive argument never
    // overflows, and softplus(-1000) is log1p(0) = 0 rather than a rounding of log(1).
    public func value<T: Scalar>(_ x: T) -> T {
        x > T(Self.threshold) ? x : (x > 0 ? x : 0) + T.log(onePlus: T.exp(-x.magnitude))
    }

    // softplus' = σ(x), in the stable form; 1 above the threshold, as torch.
    public func derivative<T: Scalar>(_ g: T, x: T, y: T) -> T { x > T(Self.threshold) ? g : g * T.sigmoid(x) }
    public var kernel: FusedElementwise.Unary? { .softplus }
}

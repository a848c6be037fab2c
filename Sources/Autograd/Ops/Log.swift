/// Natural logarithm elementwise: `log(0) = -inf`, `log(x < 0) = NaN`.
public struct Log: UnaryElementwise {
    public static let signature = OpSignature(
        name: "log", arity: .exactly(1), inputs: ["x"], summary: "natural logarithm elementwise",
        pytorch: "torch.log(x)",
        shapeRule: OpSignature.sameShape,
        notes: "log 0 = -inf with derivative +inf there, as PyTorch")

    public init() {}
    public init(attributes: Attributes) {}

    public func value<T: Scalar>(_ x: T) -> T { T.log(x) }
    // d log(x) = 1/x, so g/0 = ±inf at 0, as torch.
    public func derivative<T: Scalar>(_ g: T, x: T, y: T) -> T { g / x }
    public var kernel: FusedElementwise.Unary? { .log }
}

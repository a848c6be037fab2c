/// `e ** x` elementwise.
public struct Exp: UnaryElementwise {
    public static let signature = OpSignature(
        name: "exp", arity: .exactly(1), inputs: ["x"], summary: "e ** x elementwise",
        pytorch: "torch.exp(x)", shapeRule: OpSignature.sameShape)

    public init() {}
    public init(attributes: Attributes) {}

    public func value<T: Scalar>(_ x: T) -> T { T.exp(x) }
    // d exp(x) = exp(x): reuse the output.
    public func derivative<T: Scalar>(_ g: T, x: T, y: T) -> T { g * y }
    public var kernel: FusedElementwise.Unary? { .exp }
}

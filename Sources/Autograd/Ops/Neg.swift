/// `-x`.
public struct Neg: UnaryElementwise {
    public static let signature = OpSignature(
        name: "neg", arity: .exactly(1), inputs: ["x"], summary: "-x",
        pytorch: "torch.neg(x)", shapeRule: OpSignature.sameShape)

    public init() {}
    public init(attributes: Attributes) {}

    public func value<T: Scalar>(_ x: T) -> T { -x }
    public func derivative<T: Scalar>(_ g: T, x: T, y: T) -> T { -g }
    public var kernel: FusedElementwise.Unary? { .neg }
}

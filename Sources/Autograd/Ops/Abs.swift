/// `|x|` elementwise.
public struct Abs: UnaryElementwise {
    public static let signature = OpSignature(
        name: "abs", arity: .exactly(1), inputs: ["x"], summary: "|x| elementwise",
        pytorch: "torch.abs(x)", shapeRule: OpSignature.sameShape, notes: "gradient 0 at 0")

    public init() {}
    public init(attributes: Attributes) {}

    public func value<T: Scalar>(_ x: T) -> T { x.magnitude }
    // d|x| = sign(x), with the subgradient 0 at 0 (and at NaN), as torch's sgn.
    public func derivative<T: Scalar>(_ g: T, x: T, y: T) -> T { g * (x > 0 ? 1 : x < 0 ? -1 : 0) }
    public var kernel: FusedElementwise.Unary? { .abs }
}

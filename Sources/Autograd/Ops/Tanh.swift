/// Hyperbolic tangent elementwise.
public struct TanhOp: UnaryElementwise {
    public static let signature = OpSignature(
        name: "tanh", arity: .exactly(1), inputs: ["x"], summary: "hyperbolic tangent elementwise",
        pytorch: "torch.tanh(x)", shapeRule: OpSignature.sameShape)

    public init() {}
    public init(attributes: Attributes) {}

    public func value<T: Scalar>(_ x: T) -> T { T.tanh(x) }
    // tanh' = 1 - tanh², from the output, as torch's tanh_backward.
    public func derivative<T: Scalar>(_ g: T, x: T, y: T) -> T { g * (1 - y * y) }
    public var kernel: FusedElementwise.Unary? { .tanh }
}

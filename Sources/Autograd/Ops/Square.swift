/// x * x elementwise.
public struct Square: UnaryElementwise {
    public static let signature = OpSignature(name: "square", arity: .exactly(1), inputs: ["x"], summary: "x * x elementwise", pytorch: "torch.square(x)", shapeRule: OpSignature.sameShape)
    public init() {}
    public init(attributes: Attributes) {}

    public func value<T: Scalar>(_ x: T) -> T { x * x }
    // torch's pow_backward for exponent 2: grad * (2 * x).
    public func derivative<T: Scalar>(_ g: T, x: T, y: T) -> T { g * (2 * x) }
}

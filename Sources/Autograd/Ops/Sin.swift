/// sine elementwise.
public struct Sin: UnaryElementwise {
    public static let signature = OpSignature(name: "sin", arity: .exactly(1), inputs: ["x"], summary: "sine elementwise", pytorch: "torch.sin(x)", shapeRule: OpSignature.sameShape)
    public init() {}
    public init(attributes: Attributes) {}

    public func value<T: Scalar>(_ x: T) -> T { T.sin(x) }
    // torch: grad * cos(x).
    public func derivative<T: Scalar>(_ g: T, x: T, y: T) -> T { g * T.cos(x) }
}

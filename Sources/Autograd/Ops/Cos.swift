/// cosine elementwise.
public struct Cos: UnaryElementwise {
    public static let signature = OpSignature(name: "cos", arity: .exactly(1), inputs: ["x"], summary: "cosine elementwise", pytorch: "torch.cos(x)", shapeRule: OpSignature.sameShape)
    public init() {}
    public init(attributes: Attributes) {}

    public func value<T: Scalar>(_ x: T) -> T { T.cos(x) }
    // torch: grad * -sin(x).
    public func derivative<T: Scalar>(_ g: T, x: T, y: T) -> T { g * -T.sin(x) }
}

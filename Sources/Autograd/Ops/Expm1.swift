/// exp(x) - 1 elementwise, accurate near 0.
public struct Expm1: UnaryElementwise {
    public static let signature = OpSignature(name: "expm1", arity: .exactly(1), inputs: ["x"], summary: "exp(x) - 1 elementwise, accurate near 0", pytorch: "torch.expm1(x)", shapeRule: OpSignature.sameShape)
    public init() {}
    public init(attributes: Attributes) {}

    public func value<T: Scalar>(_ x: T) -> T { T.expMinusOne(x) }
    // torch: grad * (result + 1).
    public func derivative<T: Scalar>(_ g: T, x: T, y: T) -> T { g * (y + 1) }
}

/// -1, 0 or 1 by the sign of x (0 at 0 and NaN, as torch).
public struct Sign: UnaryElementwise {
    public static let signature = OpSignature(name: "sign", arity: .exactly(1), inputs: ["x"], summary: "-1, 0 or 1 by the sign of x (0 at 0 and NaN, as torch)", pytorch: "torch.sign(x)", shapeRule: OpSignature.sameShape, notes: "0 at 0 and at NaN; the gradient is 0 everywhere, as torch")
    public init() {}
    public init(attributes: Attributes) {}

    public func value<T: Scalar>(_ x: T) -> T { x > 0 ? 1 : x < 0 ? -1 : 0 }
    // Not differentiable: a zero gradient, as torch.
    public func derivative<T: Scalar>(_ g: T, x: T, y: T) -> T { 0 }
}

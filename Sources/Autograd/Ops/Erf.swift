/// the error function elementwise.
public struct Erf: UnaryElementwise {
    public static let signature = OpSignature(name: "erf", arity: .exactly(1), inputs: ["x"], summary: "the error function elementwise", pytorch: "torch.erf(x)", shapeRule: OpSignature.sameShape)
    public init() {}
    public init(attributes: Attributes) {}

    public func value<T: Scalar>(_ x: T) -> T { T.erf(x) }
    // torch: 2/sqrt(pi) * exp(-x²) * grad.
    public func derivative<T: Scalar>(_ g: T, x: T, y: T) -> T { T(2 / Double.pi.squareRoot()) * T.exp(-(x * x)) * g }
}

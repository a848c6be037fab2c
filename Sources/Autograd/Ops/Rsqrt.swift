/// 1 / sqrt(x) elementwise.
public struct Rsqrt: UnaryElementwise {
    public static let signature = OpSignature(name: "rsqrt", arity: .exactly(1), inputs: ["x"], summary: "1 / sqrt(x) elementwise", pytorch: "torch.rsqrt(x)", shapeRule: OpSignature.sameShape, notes: "inf at 0 (gradient -inf), NaN below")
    public init() {}
    public init(attributes: Attributes) {}

    public func value<T: Scalar>(_ x: T) -> T { 1 / x.squareRoot() }
    // torch: -0.5 * grad * result³; -inf at +0, NaN below 0.
    public func derivative<T: Scalar>(_ g: T, x: T, y: T) -> T { -0.5 * g * (y * y * y) }
}

/// Exponential linear unit: `x` where `x > 0`, else `alpha (e^x - 1)`.
public struct ELU: UnaryElementwise {
    public static let signature = OpSignature(
        name: "elu", arity: .exactly(1), inputs: ["x"],
        attributes: [AttributeSpec("alpha", .number, default: .number(1), "the scale of the negative part")],
        summary: "x where x > 0, else alpha * (exp(x) - 1)",
        pytorch: "torch.nn.functional.elu(x, alpha)", shapeRule: OpSignature.sameShape,
        notes: "gradient alpha at 0 (torch tests x <= 0)")

    public let alpha: Double

    public init(alpha: Double = 1) { self.alpha = alpha }
    public init(attributes: Attributes) throws(OpError) { self.init(alpha: try attributes.number("alpha")) }

    public func value<T: Scalar>(_ x: T) -> T { x > 0 ? x : T.expMinusOne(x) * T(alpha) }
    // torch's elu_backward: g where x > 0 (and NaN), else g * alpha * e^x; alpha at 0.
    public func derivative<T: Scalar>(_ g: T, x: T, y: T) -> T { x <= 0 ? g * T(alpha) * T.exp(x) : g }
}

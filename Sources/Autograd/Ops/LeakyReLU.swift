/// Leaky ReLU: `x` where `x > 0`, else `negative_slope * x`.
public struct LeakyReLUOp: UnaryElementwise {
    public static let signature = OpSignature(
        name: "leaky_relu", arity: .exactly(1), inputs: ["x"],
        attributes: [
            AttributeSpec("negative_slope", .number, default: .number(0.01), "the slope for x <= 0")
        ],
        summary: "x where x > 0, else negative_slope * x",
        pytorch: "torch.nn.functional.leaky_relu(x, negative_slope)",
        shapeRule: OpSignature.sameShape,
        notes: "gradient negative_slope at 0 (PyTorch tests x > 0)")

    public let negativeSlope: Double

    public init(negativeSlope: Double = 0.01) { self.negativeSlope = negativeSlope }

    public init(attributes: Attributes) throws(OpError) {
        self.init(negativeSlope: try attributes.number("negative_slope"))
    }

    public func value<T: Scalar>(_ x: T) -> T { x > 0 ? x : x * T(negativeSlope) }
    // g or slope * g; at 0 the slope, as torch's leaky_relu_backward (`x > 0 ? g : g * slope`).
    public func derivative<T: Scalar>(_ g: T, x: T, y: T) -> T { x > 0 ? g : g * T(negativeSlope) }
    public var kernel: FusedElementwise.Unary? { .leakyReLU(slope: negativeSlope) }
}

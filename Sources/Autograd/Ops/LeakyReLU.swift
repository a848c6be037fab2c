/// Leaky ReLU: `x` where `x > 0`, else `negative_slope * x`.
public struct LeakyReLUOp: Operator {
    public static let signature = OpSignature(
        name: "leaky_relu", arity: .exactly(1), inputs: ["x"],
        attributes: [
            AttributeSpec("negative_slope", .number, default: .number(0.01), "the slope for x <= 0")
        ],
        summary: "x where x > 0, else negative_slope * x",
        pytorch: "torch.nn.functional.leaky_relu(x, negative_slope)",
        shapeRule: OpSignature.sameShape,
        notes: "gradient negative_slope at 0 (PyTorch tests x > 0)")

    /// The slope for `x <= 0`.
    public let negativeSlope: Double

    /// The op with slope `negativeSlope` for `x <= 0`.
    public init(negativeSlope: Double = 0.01) { self.negativeSlope = negativeSlope }

    public init(attributes: Attributes) throws(OpError) {
        self.init(negativeSlope: try attributes.number("negative_slope"))
    }

    public func outputShape(_ inputs: [[Int]]) -> [Int] { Shape.sameShapeRule(inputs) }

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func forward<T: Scalar>(_ x: [NDArray<T>]) -> NDArray<T> {
        if let y = FusedElementwise.large(.unary(.leakyReLU(slope: negativeSlope), 0), x) { return y }
        let slope = T(negativeSlope)
        return x[0].map { $0 > 0 ? $0 : $0 * slope }
    }

    // g or slope * g; at 0 the slope, as torch's leaky_relu_backward (`x > 0 ? g : g * slope`).
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func vjp<T: Scalar>(
        _ grad: NDArray<T>, inputs x: [NDArray<T>], output: NDArray<T>, needs: [Bool]
    ) -> [NDArray<T>?] {
        if let g = FusedElementwise.largeGradient(.unary(.leakyReLU(slope: negativeSlope), 0), grad, x, needs: needs) {
            return g
        }
        let slope = T(negativeSlope)
        return [grad.zip(x[0]) { g, x in x > 0 ? g : g * slope }]
    }
}

/// `x` limited to `[min, max]` elementwise, as `torch.clamp`: `min(max(x, min), max)`, so
/// `max` wins when `min > max`; NaN stays NaN.
public struct Clamp: UnaryElementwise {
    public static let signature = OpSignature(
        name: "clamp", arity: .exactly(1), inputs: ["x"],
        attributes: [
            AttributeSpec("min", .optionalNumber, default: .null, "the lower bound; null: none"),
            AttributeSpec("max", .optionalNumber, default: .null, "the upper bound; null: none"),
        ],
        summary: "x limited to [min, max] elementwise (at least one bound given)",
        pytorch: "torch.clamp(x, min, max)", shapeRule: OpSignature.sameShape,
        notes: "max wins when min > max; NaN stays NaN; the gradient passes strictly inside the bounds and is 0 on a bound, as torch 2.15 does for number bounds; neither bound given is a 422")

    public let min: Double?
    public let max: Double?

    public init(min: Double? = nil, max: Double? = nil) {
        self.min = min
        self.max = max
    }

    public init(attributes: Attributes) throws(OpError) {
        self.init(min: try attributes.optionalNumber("min"), max: try attributes.optionalNumber("max"))
    }

    /// The input's shape; torch's "At least one of 'min' or 'max' must not be None" is
    /// checked here (not in `init`, so that the op reference can build the op to ask it).
    public func outputShape(_ inputs: [[Int]]) throws(OpError) -> [Int] {
        guard min != nil || max != nil else { throw .attribute(name: "min", detail: "min or max must be given") }
        return inputs[0]
    }

    public func value<T: Scalar>(_ x: T) -> T {
        var y = x
        if let min, y < T(min) { y = T(min) }
        if let max, y > T(max) { y = T(max) }
        return y
    }

    // g strictly inside the bounds, 0 elsewhere (on a bound too, and at NaN): torch 2.15's
    // clamp_backward for number bounds (`clamp(x, min=-1.)` at x = -1 gives 0).
    public func derivative<T: Scalar>(_ g: T, x: T, y: T) -> T {
        let above = min.map { x > T($0) } ?? true
        let below = max.map { x < T($0) } ?? true
        return above && below ? g : 0
    }
}

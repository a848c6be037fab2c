/// `x` limited to `[min, max]` elementwise, as `torch.clamp`: `min(max(x, min), max)`, so
/// `max` wins when `min > max`; NaN stays NaN.
public struct Clamp: UnaryElementwise {
    public static let signature = OpSignature(
        name: "clamp", arity: .exactly(1), inputs: ["x"],
        attributes: [
            AttributeSpec("min", .optionalNumber, default: .null, "the lower bound; null: none"),
            AttributeSpec("max", .optionalNumber, default: .null, "the upper bound; null: none"),
        ],
        summary: "x limited to [min, max] elementwise (at least one bound given)")

    public let min: Double?
    public let max: Double?

    public init(min: Double? = nil, max: Double? = nil) {
        self.min = min
        self.max = max
    }

    /// torch: "At least one of 'min' or 'max' must not be None".
    public init(attributes: Attributes) throws(OpError) {
        let lo = try attributes.optionalNumber("min"), hi = try attributes.optionalNumber("max")
        guard lo != nil || hi != nil else { throw .attribute(name: "min", detail: "min or max must be given") }
        self.init(min: lo, max: hi)
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

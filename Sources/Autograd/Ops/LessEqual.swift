/// `a <= b` elementwise as 1.0 or 0.0, broadcasting; a zero gradient.
public struct LessEqual: Comparison {
    public static let signature = comparisonSignature("less_equal", "a <= b", pytorch: "torch.le(a, b).to(a.dtype)")
    /// The relation tested: `Relation.lessEqual`.
    public static let relation = Relation.lessEqual
    /// The op; it has no attributes.
    public init() {}
}

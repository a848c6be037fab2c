/// `a >= b` elementwise as 1.0 or 0.0, broadcasting; a zero gradient.
public struct GreaterEqual: Comparison {
    public static let signature = comparisonSignature("greater_equal", "a >= b", pytorch: "torch.ge(a, b).to(a.dtype)")
    /// The relation tested: `Relation.greaterEqual`.
    public static let relation = Relation.greaterEqual
    /// The op; it has no attributes.
    public init() {}
}

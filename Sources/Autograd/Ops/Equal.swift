/// `a == b` elementwise as 1.0 or 0.0, broadcasting; a zero gradient.
public struct Equal: Comparison {
    public static let signature = comparisonSignature("equal", "a == b", pytorch: "torch.eq(a, b).to(a.dtype)")
    /// The relation tested: `Relation.equal`.
    public static let relation = Relation.equal
    /// The op; it has no attributes.
    public init() {}
}

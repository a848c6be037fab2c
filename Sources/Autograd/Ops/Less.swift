/// `a < b` elementwise as 1.0 or 0.0, broadcasting; a zero gradient.
public struct Less: Comparison {
    public static let signature = comparisonSignature("less", "a < b", pytorch: "torch.lt(a, b).to(a.dtype)")
    /// The relation tested: `Relation.less`.
    public static let relation = Relation.less
    /// The op; it has no attributes.
    public init() {}
}

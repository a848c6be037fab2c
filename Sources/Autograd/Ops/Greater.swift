/// `a > b` elementwise as 1.0 or 0.0, broadcasting; a zero gradient.
public struct Greater: Comparison {
    public static let signature = comparisonSignature("greater", "a > b", pytorch: "torch.gt(a, b).to(a.dtype)")
    /// The relation tested: `Relation.greater`.
    public static let relation = Relation.greater
    /// The op; it has no attributes.
    public init() {}
}

/// `a != b` elementwise as 1.0 or 0.0, broadcasting; a zero gradient.
public struct NotEqual: Comparison {
    public static let signature = comparisonSignature("not_equal", "a != b", pytorch: "torch.ne(a, b).to(a.dtype)")
    /// The relation tested: `Relation.notEqual`.
    public static let relation = Relation.notEqual
    /// The op; it has no attributes.
    public init() {}
}

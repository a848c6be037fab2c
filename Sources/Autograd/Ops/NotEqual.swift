/// `a != b` elementwise as 1.0 or 0.0, broadcasting; a zero gradient.
public struct NotEqual: Comparison {
    public static let signature = comparisonSignature("not_equal", "a != b", "ne")
    public static let relation = Relation.notEqual
    public init() {}
}

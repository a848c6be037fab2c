/// `a == b` elementwise as 1.0 or 0.0, broadcasting; a zero gradient.
public struct Equal: Comparison {
    public static let signature = comparisonSignature("equal", "a == b", "eq")
    public static let relation = Relation.equal
    public init() {}
}

/// `a > b` elementwise as 1.0 or 0.0, broadcasting; a zero gradient.
public struct Greater: Comparison {
    public static let signature = comparisonSignature("greater", "a > b", "gt")
    public static let relation = Relation.greater
    public init() {}
}

/// `a >= b` elementwise as 1.0 or 0.0, broadcasting; a zero gradient.
public struct GreaterEqual: Comparison {
    public static let signature = comparisonSignature("greater_equal", "a >= b", "ge")
    public static let relation = Relation.greaterEqual
    public init() {}
}

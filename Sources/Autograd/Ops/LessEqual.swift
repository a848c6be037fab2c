/// `a <= b` elementwise as 1.0 or 0.0, broadcasting; a zero gradient.
public struct LessEqual: Comparison {
    public static let signature = comparisonSignature("less_equal", "a <= b", "le")
    public static let relation = Relation.lessEqual
    public init() {}
}

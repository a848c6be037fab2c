/// `a < b` elementwise as 1.0 or 0.0, broadcasting; a zero gradient.
public struct Less: Comparison {
    public static let signature = comparisonSignature("less", "a < b", "lt")
    public static let relation = Relation.less
    public init() {}
}

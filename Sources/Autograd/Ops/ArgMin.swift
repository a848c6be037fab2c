/// The index of the smallest element along `axis`, as `torch.argmin(x, dim=axis,
/// keepdim=keepdims)`: the first on a tie, the first NaN if any; as a number of the
/// request's dtype, with a zero gradient.
public struct ArgMin: IndexReduction {
    public static let signature = indexSignature("argmin", "index of the smallest element along axis (first on ties)")
    public static let picksLargest = false

    public let axis: Int
    public let keepdims: Bool

    public init(axis: Int, keepdims: Bool = false) {
        self.axis = axis
        self.keepdims = keepdims
    }
}

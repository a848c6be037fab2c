/// The index of the smallest element along `axis`, as `torch.argmin(x, dim=axis,
/// keepdim=keepdims)`: the first on a tie, the first NaN if any; as a number of the
/// request's dtype, with a zero gradient.
public struct ArgMin: IndexReduction {
    public static let signature = indexSignature("argmin", "index of the smallest element along axis (first on ties)")
    /// False: argmin searches for the smallest element.
    public static let picksLargest = false

    /// The axis searched, negatives counting from the end (0 or −1 for a 0-d input, as torch);
    /// required.
    public let axis: Int
    /// Whether the searched axis stays in the output with length 1 (torch's `keepdim`); default
    /// false.
    public let keepdims: Bool

    /// The op searching `axis`, as `torch.argmin(x, dim=axis, keepdim=keepdims)`.
    public init(axis: Int, keepdims: Bool = false) {
        self.axis = axis
        self.keepdims = keepdims
    }
}

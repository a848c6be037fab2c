/// Standard deviation over axes, as `torch.std(x, dim=axis, correction=correction,
/// keepdim=keepdims)`: the square root of `var`.
public struct Std: VarianceReduction {
    public static let signature = varianceSignature(
        "std", "standard deviation over axes (default all), sqrt(var)",
        notes: "gradient 0 where the deviation is 0, as torch")

    /// The axes reduced, negatives counting from the end; nil reduces them all (torch's
    /// `dim=None`).
    public let axes: [Int]?
    /// Whether the reduced axes stay in the output with length 1 (torch's `keepdim`); default
    /// false.
    public let keepdims: Bool
    /// Subtracted from the element count N in the variance's divisor, `max(0, N − correction)`: 1
    /// (the default) is Bessel's correction, 0 the biased (population) standard deviation.
    public let correction: Double

    /// The op as `torch.std(x, dim=axes, correction=correction, keepdim=keepdims)`.
    public init(axes: [Int]? = nil, keepdims: Bool = false, correction: Double = 1) {
        self.axes = axes
        self.keepdims = keepdims
        self.correction = correction
    }

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func forward<T: Scalar>(_ x: [NDArray<T>]) -> NDArray<T> {
        guard let r = try? reduced(x[0].shape) else { return x[0] }
        return variance(x[0], r).map { $0.squareRoot() }.reshaped(r.outputShape)
    }

    // torch's std_backward: var's gradient for g / (2 std), 0 where std is 0.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func vjp<T: Scalar>(
        _ grad: NDArray<T>, inputs x: [NDArray<T>], output: NDArray<T>, needs: [Bool]
    ) -> [NDArray<T>?] {
        guard let r = try? reduced(x[0].shape) else { return [nil] }
        let g = grad.zip(output) { g, s in s == 0 ? 0 : g / (s * 2) }
        return [varianceGradient(g.reshaped(r.keptShape), x[0], r)]
    }
}

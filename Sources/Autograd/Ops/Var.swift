/// Variance over axes, as `torch.var(x, dim=axis, correction=correction, keepdim=keepdims)`:
/// `sum((x - mean)²) / max(0, N - correction)`.
public struct Var: VarianceReduction {
    public static let signature = varianceSignature("var", "variance over axes (default all), divided by N - correction")

    /// The axes reduced, negatives counting from the end; nil reduces them all (torch's
    /// `dim=None`).
    public let axes: [Int]?
    /// Whether the reduced axes stay in the output with length 1 (torch's `keepdim`); default
    /// false.
    public let keepdims: Bool
    /// Subtracted from the element count N in the variance's divisor, `max(0, N − correction)`: 1
    /// (the default) is Bessel's correction, 0 the biased (population) variance.
    public let correction: Double

    /// The op as `torch.var(x, dim=axes, correction=correction, keepdim=keepdims)`.
    public init(axes: [Int]? = nil, keepdims: Bool = false, correction: Double = 1) {
        self.axes = axes
        self.keepdims = keepdims
        self.correction = correction
    }

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func forward<T: Scalar>(_ x: [NDArray<T>]) -> NDArray<T> {
        guard let r = try? reduced(x[0].shape) else { return x[0] }
        return variance(x[0], r).reshaped(r.outputShape)
    }

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func vjp<T: Scalar>(
        _ grad: NDArray<T>, inputs x: [NDArray<T>], output: NDArray<T>, needs: [Bool]
    ) -> [NDArray<T>?] {
        guard let r = try? reduced(x[0].shape) else { return [nil] }
        return [varianceGradient(grad.reshaped(r.keptShape), x[0], r)]
    }
}

/// var and std: attributes `axis`, `keepdims`, `correction`, and the variance's kernels.
public protocol VarianceReduction: Operator {
    /// The axes reduced, negatives counting from the end: the `axis` attribute; nil (the default)
    /// reduces them all.
    var axes: [Int]? { get }
    /// Whether the reduced axes stay in the output with length 1: the `keepdims` attribute, default
    /// false.
    var keepdims: Bool { get }
    /// Subtracted from the element count N in the variance's divisor: the `correction` attribute,
    /// default 1 (Bessel's).
    var correction: Double { get }
    /// The op over `axes` (nil: all), keeping them with length 1 when `keepdims`, divided by
    /// `max(0, N − correction)`.
    init(axes: [Int]?, keepdims: Bool, correction: Double)
}

extension VarianceReduction {
    public init(attributes: Attributes) throws(OpError) {
        self.init(
            axes: try attributes.axes("axis"), keepdims: try attributes.bool("keepdims"),
            correction: try attributes.number("correction"))
    }

    static func varianceSignature(_ name: String, _ summary: String, notes: String? = nil) -> OpSignature {
        OpSignature(
            name: name, arity: .exactly(1), inputs: ["x"],
            attributes: [
                ReducedAxes.axisAttribute, ReducedAxes.keepdimsAttribute,
                AttributeSpec("correction", .number, default: .int(1), "subtracted from N in the divisor (1: Bessel's)"),
            ],
            summary: summary, pytorch: "torch.\(name)(x, dim=axis, correction=correction, keepdim=keepdims)",
            shapeRule: "x's shape without the reduced axes (kept as 1 with keepdims)",
            notes: notes ?? "divided by max(0, N - correction): NaN or inf with no degree of freedom left, as torch")
    }

    public func outputShape(_ inputs: [[Int]]) throws(OpError) -> [Int] { try reduced(inputs[0]).outputShape }

    func reduced(_ shape: [Int]) throws(OpError) -> ReducedAxes {
        try ReducedAxes(shape: shape, axes: axes, keepdims: keepdims)
    }

    /// The variance in the kept shape: two passes, the mean and then the squared deviations.
    func variance<T: Scalar>(_ x: NDArray<T>, _ r: ReducedAxes) -> NDArray<T> {
        let n = T(r.groupSize)
        let mean = x.sum(to: r.keptShape).map { $0 / n }
        let divisor = T(Swift.max(0, Double(r.groupSize) - correction))
        return NDArray.broadcast(x, mean, to: x.shape) { ($0 - $1) * ($0 - $1) }.sum(to: r.keptShape).map { $0 / divisor }
    }

    /// torch's var_backward for `grad` in the kept shape: `2 / (N - correction) * g * (x -
    /// mean)`; over all axes with no degree of freedom left, g * (x == mean ? NaN : inf).
    func varianceGradient<T: Scalar>(_ grad: NDArray<T>, _ x: NDArray<T>, _ r: ReducedAxes) -> NDArray<T> {
        let n = T(r.groupSize)
        let mean = x.sum(to: r.keptShape).map { $0 / n }.broadcast(to: x.shape)
        let g = grad.broadcast(to: x.shape)
        let dof = Double(r.groupSize) - correction
        if axes == nil || x.rank == 0, dof <= 0 {
            return g.zip(x, mean) { g, x, m in g * (x == m ? .nan : .infinity) }
        }
        let scale = T(2 / dof)
        return g.zip(x, mean) { g, x, m in scale * g * (x - m) }
    }
}

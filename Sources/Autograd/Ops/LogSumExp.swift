/// `log(sum(exp(x)))` over axes, as `torch.logsumexp`: the maximum is shifted out first
/// (an infinite maximum is not, as torch), so it is finite at ±1000.
public struct LogSumExp: AxisReduction {
    public static let signature = reductionSignature(
        "logsumexp", "log(sum(exp(x))) over axes (default all), stable at any magnitude",
        pytorch: "torch.logsumexp(x, dim=axis, keepdim=keepdims)",
        notes: "the group maximum is shifted out unless infinite, as torch; an empty group gives -inf")

    public let axes: [Int]?
    public let keepdims: Bool

    public init(axes: [Int]? = nil, keepdims: Bool = false) {
        self.axes = axes
        self.keepdims = keepdims
    }

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func forward<T: Scalar>(_ x: [NDArray<T>]) -> NDArray<T> {
        guard let r = try? reduced(x[0].shape) else { return x[0] }
        let m = x[0].reducedMax(to: r.keptShape).map { $0.isInfinite ? 0 : $0 }
        let s = NDArray.broadcast(x[0], m, to: x[0].shape) { T.exp($0 - $1) }.sum(to: r.keptShape)
        return s.zip(m) { T.log($0) + $1 }.reshaped(r.outputShape)
    }

    // torch's logsumexp_backward: g * exp(x - y).
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func vjp<T: Scalar>(
        _ grad: NDArray<T>, inputs x: [NDArray<T>], output: NDArray<T>, needs: [Bool]
    ) -> [NDArray<T>?] {
        guard let r = try? reduced(x[0].shape) else { return [nil] }
        let e = NDArray.broadcast(x[0], output.reshaped(r.keptShape), to: x[0].shape) { T.exp($0 - $1) }
        return [NDArray.broadcast(e, grad.reshaped(r.keptShape), to: x[0].shape) { $1 * $0 }]
    }
}

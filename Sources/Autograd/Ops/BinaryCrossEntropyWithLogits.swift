/// Binary cross-entropy of logits `x` against targets `t` of the same shape, i.e.
/// `binary_cross_entropy(sigmoid(x), t)` computed without forming the sigmoid. PyTorch's
/// `binary_cross_entropy_with_logits` (without `weight` or `pos_weight`).
public struct BinaryCrossEntropyWithLogits: ElementwiseLoss {
    public static let signature = lossSignature(
        "binary_cross_entropy_with_logits", "binary cross-entropy of sigmoid(logits) against targets of the same shape, stably",
        pytorch: "torch.nn.functional.binary_cross_entropy_with_logits(input, target, reduction=reduction)",
        notes: "stable form max(x, 0) - x·t + log1p(exp(-|x|))")

    public let reduction: Reduction

    public init(reduction: Reduction = .mean) { self.reduction = reduction }

    // max(x, 0) − x·t + log1p(exp(−|x|)): the softplus rewrite, whose exp never
    // overflows, so logits of ±1000 give finite, exact losses.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func forward<T: Scalar>(_ x: [NDArray<T>]) -> NDArray<T> {
        reduction.apply(
            x[0].zip(x[1]) { x, t in
                max(x, 0) - x * t + T.log(onePlus: T.exp(-x.magnitude))
            })
    }

    // d/dx = (sigmoid(x) − t)·g, with the two-branch sigmoid (exp of a non-positive
    // argument only); d/dt = −x·g.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func vjp<T: Scalar>(
        _ grad: NDArray<T>, inputs x: [NDArray<T>], output: NDArray<T>, needs: [Bool]
    ) -> [NDArray<T>?] {
        let g = reduction.spread(grad, over: x[0].shape)
        return [
            needs[0] ? x[0].zip(x[1], g) { x, t, g in (T.sigmoid(x) - t) * g } : nil,
            needs[1] ? x[0].zip(g) { x, g in -x * g } : nil,
        ]
    }
}

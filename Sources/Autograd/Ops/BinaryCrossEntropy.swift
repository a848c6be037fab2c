/// Binary cross-entropy of probabilities `p` against targets `t` of the same shape:
/// `−(t·log p + (1 − t)·log(1 − p))`, reduced. PyTorch's `binary_cross_entropy` (without
/// `weight`).
public struct BinaryCrossEntropy: ElementwiseLoss {
    public static let signature = lossSignature(
        "binary_cross_entropy", "binary cross-entropy of probabilities against targets of the same shape",
        pytorch: "torch.nn.functional.binary_cross_entropy(input, target, reduction=reduction)",
        notes: "logs clamped at -100 as PyTorch; input gradient seed·(x - t) / max(x(1 - x), 1e-12)")

    public let reduction: Reduction

    public init(reduction: Reduction = .mean) { self.reduction = reduction }

    // Each log is clamped at −100, as torch does, so p = 0 or p = 1 gives a loss of at most
    // 100 rather than infinity.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func forward<T: Scalar>(_ x: [NDArray<T>]) -> NDArray<T> {
        reduction.apply(
            x[0].zip(x[1]) { p, t in
                -(t * max(T.log(p), -100) + (1 - t) * max(T.log(1 - p), -100))
            })
    }

    // d/dp = g·(p − t) / max((1 − p)·p, ε = 1e-12): torch's binary_cross_entropy_backward,
    // whose floor keeps the gradient finite at p = 0 and p = 1 (it ignores the clamp).
    // d/dt = −logit(p)·g = −g·log(p / (1 − p)): torch's target gradient, unclamped, so
    // ±inf at p = 0 or 1.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func vjp<T: Scalar>(
        _ grad: NDArray<T>, inputs x: [NDArray<T>], output: NDArray<T>, needs: [Bool]
    ) -> [NDArray<T>?] {
        let g = reduction.spread(grad, over: x[0].shape)
        // torch's EPSILON is a C++ `float`, so in Double it is Float(1e-12), not 1e-12.
        let floor = T(Float(1e-12))
        return [
            needs[0] ? x[0].zip(x[1], g) { p, t, g in g * (p - t) / max((1 - p) * p, floor) } : nil,
            needs[1] ? x[0].zip(g) { p, g in -T.log(p / (1 - p)) * g } : nil,
        ]
    }
}

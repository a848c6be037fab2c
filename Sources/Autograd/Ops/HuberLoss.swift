/// PyTorch's `huber_loss`: with `z = |input − target|`, `0.5·z²` where `z < δ` and
/// `δ·(z − 0.5·δ)` elsewhere; `δ` must be positive (torch refuses 0).
public struct HuberLoss: ElementwiseLoss {
    public static let signature = OpSignature(
        name: "huber_loss", arity: .exactly(2), inputs: ["input", "target"],
        attributes: [
            Reduction.attribute,
            AttributeSpec("delta", .number, default: .number(1), "where the quadratic part ends; positive"),
        ],
        summary: "quadratic below delta, delta-sloped linear above, reduced; operands of the same shape",
        pytorch: "torch.nn.functional.huber_loss(input, target, reduction=reduction, delta=delta)",
        shapeRule: "input and target of one shape; [] for \"mean\" and \"sum\", that shape for \"none\"",
        notes: "0.5·d² where |d| < delta, delta·(|d| - 0.5·delta) elsewhere (d = input - target); delta > 0 as torch; gradient clamp(d, -delta, delta)")

    public let reduction: Reduction
    /// δ: where the quadratic part ends, and the slope of the linear part; positive, default 1
    /// (torch's `delta`).
    public let delta: Double

    /// `delta` must be positive.
    public init(reduction: Reduction = .mean, delta: Double = 1) {
        precondition(delta > 0, "huber_loss: delta must be positive")
        self.reduction = reduction
        self.delta = delta
    }

    public init(reduction: Reduction) { self.init(reduction: reduction, delta: 1) }

    public init(attributes: Attributes) throws(OpError) {
        let delta = try attributes.number("delta")
        guard delta > 0 else { throw .attribute(name: "delta", detail: "must be positive, got \(delta)") }
        self.init(reduction: try Reduction(attributes: attributes), delta: delta)
    }

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func forward<T: Scalar>(_ x: [NDArray<T>]) -> NDArray<T> {
        let delta = T(delta)
        return reduction.apply(
            x[0].zip(x[1]) { p, t in
                let z = (p - t).magnitude
                return z < delta ? 0.5 * z * z : delta * (z - 0.5 * delta)
            })
    }

    // d/dinput = clamp(input − target, −δ, δ) · g, and its negative for the target.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func vjp<T: Scalar>(
        _ grad: NDArray<T>, inputs x: [NDArray<T>], output: NDArray<T>, needs: [Bool]
    ) -> [NDArray<T>?] {
        let g = reduction.spread(grad, over: x[0].shape)
        let delta = T(delta)
        let d = x[0].zip(x[1], g) { p, t, g in
            let e = p - t
            return (e <= -delta ? -delta : (e >= delta ? delta : e)) * g
        }
        return [needs[0] ? d : nil, needs[1] ? d.map { -$0 } : nil]
    }
}

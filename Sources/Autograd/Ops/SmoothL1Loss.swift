/// PyTorch's `smooth_l1_loss`: with `z = |input − target|`, `0.5·z²/β` where `z < β` and
/// `z − 0.5·β` elsewhere; `β = 0` is `l1_loss` (as torch, which switches to it).
public struct SmoothL1Loss: ElementwiseLoss {
    public static let signature = OpSignature(
        name: "smooth_l1_loss", arity: .exactly(2), inputs: ["input", "target"],
        attributes: [
            Reduction.attribute,
            AttributeSpec("beta", .number, default: .number(1), "where the quadratic part ends; at least 0"),
        ],
        summary: "quadratic below beta, linear above, reduced; operands of the same shape",
        pytorch: "torch.nn.functional.smooth_l1_loss(input, target, reduction=reduction, beta=beta)",
        shapeRule: "input and target of one shape; [] for \"mean\" and \"sum\", that shape for \"none\"",
        notes: "0.5·d²/beta where |d| < beta, |d| - 0.5·beta elsewhere (d = input - target); beta >= 0, and beta = 0 is l1_loss as torch (gradient 0 at d = 0); gradient clamp(d/beta, -1, 1)")

    public let reduction: Reduction
    /// β: where the quadratic part ends; at least 0, default 1 (torch's `beta`), and 0 makes the
    /// loss `l1_loss`.
    public let beta: Double

    /// `beta` must not be negative.
    public init(reduction: Reduction = .mean, beta: Double = 1) {
        precondition(beta >= 0, "smooth_l1_loss: beta must not be negative")
        self.reduction = reduction
        self.beta = beta
    }

    public init(reduction: Reduction) { self.init(reduction: reduction, beta: 1) }

    public init(attributes: Attributes) throws(OpError) {
        let beta = try attributes.number("beta")
        guard beta >= 0 else { throw .attribute(name: "beta", detail: "must not be negative, got \(beta)") }
        self.init(reduction: try Reduction(attributes: attributes), beta: beta)
    }

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func forward<T: Scalar>(_ x: [NDArray<T>]) -> NDArray<T> {
        let beta = T(beta)
        return reduction.apply(
            x[0].zip(x[1]) { p, t in
                let z = (p - t).magnitude
                return z < beta ? 0.5 * z * z / beta : z - 0.5 * beta
            })
    }

    // d/dinput = clamp((input − target)/β, −1, 1) · g (sign(d) when β = 0, 0 at d = 0 as
    // torch's l1 path), and its negative for the target.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func vjp<T: Scalar>(
        _ grad: NDArray<T>, inputs x: [NDArray<T>], output: NDArray<T>, needs: [Bool]
    ) -> [NDArray<T>?] {
        let g = reduction.spread(grad, over: x[0].shape)
        let beta = T(beta), l1 = self.beta == 0
        let d = x[0].zip(x[1], g) { p, t, g in
            let e = p - t
            if l1 { return e > 0 ? g : (e < 0 ? -g : 0) }
            return e <= -beta ? -g : (e >= beta ? g : e * g / beta)
        }
        return [needs[0] ? d : nil, needs[1] ? d.map { -$0 } : nil]
    }
}

/// PyTorch's `kl_div(input, target)`: the input holds log-probabilities; the pointwise
/// loss is `target·(log target − input)` (0 where target = 0, torch's `xlogy`), or with
/// `log_target` `exp(target)·(target − input)`. `mean` averages over every element, as
/// torch's "mean" does; `batchmean` (torch's recommended reading of KL) divides the sum by
/// the first dimension.
public struct KLDiv: Operator {
    /// How `kl_div` reduces its pointwise losses: torch's `reduction`, with its extra `batchmean`.
    public enum KLReduction: String, Sendable, CaseIterable {
        /// `mean`: the mean over every element (torch's default, which torch warns is not the KL
        /// divergence); `sum`: the sum; `none`: the pointwise losses, unreduced; `batchmean`: the
        /// sum divided by the first dimension's length (a 0-d input's is its sum).
        case mean, sum, none, batchmean
    }

    public static let signature = OpSignature(
        name: "kl_div", arity: .exactly(2), inputs: ["input", "target"],
        attributes: [
            AttributeSpec(
                "reduction", .choice(KLReduction.allCases.map(\.rawValue)), default: .string("mean"),
                "mean over every element, sum, none, or batchmean (sum over the first dimension's length)"),
            AttributeSpec("log_target", .bool, default: .bool(false), "whether the target holds log-probabilities"),
        ],
        summary: "KL divergence of log-probabilities input from target, as torch's kl_div; operands of the same shape",
        pytorch: "torch.nn.functional.kl_div(input, target, reduction=reduction, log_target=log_target)",
        shapeRule: "input and target of one shape; [] for \"mean\", \"sum\" and \"batchmean\", that shape for \"none\"",
        notes: "pointwise target·(log target - input), 0 where target = 0 (torch's xlogy), or exp(target)·(target - input) with log_target; \"mean\" averages over every element as torch's \"mean\" (torch warns it is not the KL divergence), \"batchmean\" divides the sum by the first dimension (a scalar's is its sum); the target's gradient log(target) + 1 - input is NaN where target = 0, as torch's xlogy derivative")

    /// How the pointwise losses are reduced; default `mean`, as torch.
    public let reduction: KLReduction
    /// Whether the target holds log-probabilities too (torch's `log_target`); default false.
    public let logTarget: Bool

    /// The op as `F.kl_div(input, target, reduction=reduction, log_target=logTarget)`.
    public init(reduction: KLReduction = .mean, logTarget: Bool = false) {
        self.reduction = reduction
        self.logTarget = logTarget
    }

    public init(attributes: Attributes) throws(OpError) {
        guard let r = KLReduction(rawValue: try attributes.string("reduction")) else {
            throw .attribute(name: "reduction", detail: "must be \"mean\", \"sum\", \"none\" or \"batchmean\"")
        }
        self.init(reduction: r, logTarget: try attributes.bool("log_target"))
    }

    public func outputShape(_ inputs: [[Int]]) throws(OpError) -> [Int] {
        guard inputs[0] == inputs[1] else {
            throw .shape(
                "kl_div: input \(Shape.describe(inputs[0])) and target \(Shape.describe(inputs[1])) differ in shape")
        }
        return reduction == .none ? inputs[0] : []
    }

    /// What the summed loss is divided by.
    private func divisor(_ shape: [Int]) -> Int? {
        switch reduction {
        case .none, .sum: nil
        case .mean: Shape.count(shape) ?? 1
        case .batchmean: shape.first  // a scalar's batchmean is its sum, as torch
        }
    }

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func forward<T: Scalar>(_ x: [NDArray<T>]) -> NDArray<T> {
        let losses = logTarget
            ? x[0].zip(x[1]) { p, t in T.exp(t) * (t - p) }
            : x[0].zip(x[1]) { p, t in (t == 0 ? 0 : t * T.log(t)) - t * p }
        guard reduction != .none else { return losses }
        let total = losses.sum(to: [])
        guard let n = divisor(x[0].shape) else { return total }
        return total.map { $0 / T(n) }
    }

    // d/dinput = −target·g (−exp(target)·g with log_target). d/dtarget = (log target + 1 −
    // input)·g, NaN where target = 0 as torch's xlogy derivative gives; with log_target
    // exp(target)·(target − input + 1)·g.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func vjp<T: Scalar>(
        _ grad: NDArray<T>, inputs x: [NDArray<T>], output: NDArray<T>, needs: [Bool]
    ) -> [NDArray<T>?] {
        var g = reduction == .none ? grad : grad.broadcast(to: x[0].shape)
        if let n = divisor(x[0].shape) { g = g.map { $0 / T(n) } }
        let logTarget = logTarget
        let dInput = needs[0] ? x[1].zip(g) { t, g in -(logTarget ? T.exp(t) : t) * g } : nil
        let dTarget = needs[1]
            ? x[0].zip(x[1], g) { p, t, g in
                logTarget ? T.exp(t) * (t - p + 1) * g : (t == 0 ? .nan : (T.log(t) + 1 - p) * g)
            } : nil
        return [dInput, dTarget]
    }
}

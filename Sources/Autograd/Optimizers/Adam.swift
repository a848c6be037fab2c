/// Adam with L2 weight decay added to the gradient: `torch.optim.Adam` (without amsgrad).
///
/// For each parameter `p` with gradient `g`, at its step `t` (counted per parameter):
/// `g += weightDecay·p`; `m = lerp(m, g, 1 − β1)`; `v = β2·v + (1 − β2)·g²`;
/// `p −= (lr / (1 − β1ᵗ)) · m / (√v / √(1 − β2ᵗ) + eps)`.
public final class Adam<Scalar: Autograd.Scalar>: Optimizer {
    public var parameters: [Tensor<Scalar>] { state.parameters }
    /// The learning rate; may be changed between steps.
    public var lr: Double {
        get { state.lr }
        set { state.lr = newValue }
    }
    /// The coefficients of the running averages of the gradient and of its square (β1, β2).
    public var betas: (Double, Double) { state.betas }
    /// Added to the denominator for numerical stability.
    public var eps: Double { state.eps }
    /// The L2 penalty added to the gradient.
    public var weightDecay: Double { state.weightDecay }

    private var state: AdamState<Scalar>

    /// Traps, as torch raises, on a negative `lr`, `eps` or `weightDecay`, or a beta outside [0, 1).
    public init(
        _ parameters: [Tensor<Scalar>], lr: Double = 1e-3, betas: (Double, Double) = (0.9, 0.999),
        eps: Double = 1e-8, weightDecay: Double = 0
    ) {
        state = AdamState(parameters, lr: lr, betas: betas, eps: eps, weightDecay: weightDecay, decoupled: false)
    }

    public func step() { state.step() }
}

/// Adam with decoupled weight decay: `torch.optim.AdamW`. Identical to `Adam` except that
/// instead of adding `weightDecay·p` to the gradient, each step first shrinks the
/// parameter, `p *= 1 − lr·weightDecay`.
public final class AdamW<Scalar: Autograd.Scalar>: Optimizer {
    public var parameters: [Tensor<Scalar>] { state.parameters }
    /// The learning rate; may be changed between steps.
    public var lr: Double {
        get { state.lr }
        set { state.lr = newValue }
    }
    /// The coefficients of the running averages of the gradient and of its square (β1, β2).
    public var betas: (Double, Double) { state.betas }
    /// Added to the denominator for numerical stability.
    public var eps: Double { state.eps }
    /// The decoupled weight decay: each step first multiplies a parameter by `1 − lr·weightDecay`.
    public var weightDecay: Double { state.weightDecay }

    private var state: AdamState<Scalar>

    /// Traps, as torch raises, on a negative `lr`, `eps` or `weightDecay`, or a beta outside [0, 1).
    public init(
        _ parameters: [Tensor<Scalar>], lr: Double = 1e-3, betas: (Double, Double) = (0.9, 0.999),
        eps: Double = 1e-8, weightDecay: Double = 1e-2
    ) {
        state = AdamState(parameters, lr: lr, betas: betas, eps: eps, weightDecay: weightDecay, decoupled: true)
    }

    public func step() { state.step() }
}

/// The hyper-parameters and per-parameter state Adam and AdamW share, and their step:
/// torch's `_single_tensor_adam`, whose `decoupled_weight_decay` flag is the only difference.
struct AdamState<Scalar: Autograd.Scalar> {
    let parameters: [Tensor<Scalar>]
    var lr: Double
    let betas: (Double, Double)
    let eps: Double
    let weightDecay: Double
    let decoupled: Bool

    /// First and second moment estimates per parameter (empty until its first step) and
    /// the number of steps each has taken.
    private var m: [[Scalar]]
    private var v: [[Scalar]]
    private var steps: [Int]

    init(
        _ parameters: [Tensor<Scalar>], lr: Double, betas: (Double, Double), eps: Double,
        weightDecay: Double, decoupled: Bool
    ) {
        precondition(lr >= 0, "Adam: invalid learning rate \(lr)")
        precondition(eps >= 0, "Adam: invalid epsilon value \(eps)")
        precondition((0..<1).contains(betas.0), "Adam: invalid beta parameter at index 0: \(betas.0)")
        precondition((0..<1).contains(betas.1), "Adam: invalid beta parameter at index 1: \(betas.1)")
        precondition(weightDecay >= 0, "Adam: invalid weight_decay value \(weightDecay)")
        self.parameters = parameters
        self.lr = lr
        self.betas = betas
        self.eps = eps
        self.weightDecay = weightDecay
        self.decoupled = decoupled
        m = Array(repeating: [], count: parameters.count)
        v = Array(repeating: [], count: parameters.count)
        steps = Array(repeating: 0, count: parameters.count)
    }

    mutating func step() {
        let (beta1, beta2) = betas
        // torch's scalars, computed in Python floats (Double) and converted to the
        // parameter's dtype once per step.
        let shrink = Scalar(1 - lr * weightDecay)
        let wd = Scalar(weightDecay), useDecay = weightDecay != 0, decoupled = self.decoupled
        let weight1 = Scalar(1 - beta1), b2 = Scalar(beta2), weight2 = Scalar(1 - beta2)
        // torch.lerp's two forms: exact at weight 0 below 0.5, at weight 1 above.
        let lerpLow = weight1.magnitude < 0.5, weight1Complement = 1 - weight1
        let epsilon = Scalar(eps)
        for (i, p) in parameters.enumerated() where p.grad != nil {
            steps[i] += 1
            let t = Double(steps[i])
            let biasCorrection1 = 1 - Double.pow(beta1, t)
            let biasCorrection2 = 1 - Double.pow(beta2, t)
            let negStepSize = Scalar(-(lr / biasCorrection1))
            let biasCorrection2Sqrt = Scalar(biasCorrection2.squareRoot())
            var mi = m[i].isEmpty ? [Scalar](repeating: 0, count: p.count) : m[i]
            var vi = v[i].isEmpty ? [Scalar](repeating: 0, count: p.count) : v[i]
            m[i] = []  // keep the moments uniquely referenced while they are written
            v[i] = []
            mi.withUnsafeMutableBufferPointer { m in
                vi.withUnsafeMutableBufferPointer { v in
                    p.updateInPlace { w, grad in
                        for j in 0..<w.count {
                            var g = grad[j]
                            if useDecay {
                                if decoupled { w[j] = w[j] * shrink } else { g = g + wd * w[j] }
                            }
                            m[j] = lerpLow ? m[j] + weight1 * (g - m[j]) : g - (g - m[j]) * weight1Complement
                            v[j] = v[j] * b2 + weight2 * g * g
                            let denom = v[j].squareRoot() / biasCorrection2Sqrt + epsilon
                            w[j] = w[j] + negStepSize * m[j] / denom
                        }
                    }
                }
            }
            m[i] = mi
            v[i] = vi
        }
    }
}

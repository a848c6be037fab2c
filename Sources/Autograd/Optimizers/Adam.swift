/// Adam with L2 weight decay added to the gradient: `torch.optim.Adam`.
///
/// For each parameter `p` with gradient `g`, at its step `t` (counted per parameter):
/// `g += weightDecay·p`; `m = lerp(m, g, 1 − β1)`; `v = β2·v + (1 − β2)·g²`;
/// with `amsgrad`, `v̂ = max(v̂, v)` (else `v̂ = v`);
/// `p −= (lr / (1 − β1ᵗ)) · m / (√v̂ / √(1 − β2ᵗ) + eps)`.
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
    /// Whether the denominator uses the running maximum of `v` (AMSGrad).
    public var amsgrad: Bool { state.amsgrad }

    var state: AdamState<Scalar>

    /// Traps, as torch raises, on a negative `lr`, `eps` or `weightDecay`, or a beta outside [0, 1).
    public init(
        _ parameters: [Tensor<Scalar>], lr: Double = 1e-3, betas: (Double, Double) = (0.9, 0.999),
        eps: Double = 1e-8, weightDecay: Double = 0, amsgrad: Bool = false
    ) {
        state = AdamState(
            parameters, lr: lr, betas: betas, eps: eps, weightDecay: weightDecay, amsgrad: amsgrad, decoupled: false)
    }

    // Specialised, as SGD.step is (why there).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
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
    /// Whether the denominator uses the running maximum of `v` (AMSGrad).
    public var amsgrad: Bool { state.amsgrad }

    var state: AdamState<Scalar>

    /// Traps, as torch raises, on a negative `lr`, `eps` or `weightDecay`, or a beta outside [0, 1).
    public init(
        _ parameters: [Tensor<Scalar>], lr: Double = 1e-3, betas: (Double, Double) = (0.9, 0.999),
        eps: Double = 1e-8, weightDecay: Double = 1e-2, amsgrad: Bool = false
    ) {
        state = AdamState(
            parameters, lr: lr, betas: betas, eps: eps, weightDecay: weightDecay, amsgrad: amsgrad, decoupled: true)
    }

    // Specialised, as SGD.step is (why there).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
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
    let amsgrad: Bool
    let decoupled: Bool

    /// First and second moment estimates per parameter, and with `amsgrad` the running
    /// maximum of the second (all empty until the parameter's first step), and the number of
    /// steps each parameter has taken.
    var m: [[Scalar]]
    var v: [[Scalar]]
    var vMax: [[Scalar]]
    var steps: [Int]

    init(
        _ parameters: [Tensor<Scalar>], lr: Double, betas: (Double, Double), eps: Double,
        weightDecay: Double, amsgrad: Bool, decoupled: Bool
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
        self.amsgrad = amsgrad
        self.decoupled = decoupled
        m = Array(repeating: [], count: parameters.count)
        v = m
        vMax = m
        steps = Array(repeating: 0, count: parameters.count)
    }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    mutating func step() {
        let (beta1, beta2) = betas
        // torch's scalars, computed in Python floats (Double) and converted to the
        // parameter's dtype once per step.
        let weight1 = Scalar(1 - beta1)
        var f = AdamFactors(
            shrink: Scalar(1 - lr * weightDecay), wd: Scalar(weightDecay),
            shrinks: weightDecay != 0 && decoupled, addsDecay: weightDecay != 0 && !decoupled,
            weight1: weight1, weight1Complement: 1 - weight1, lerpLow: weight1.magnitude < 0.5,
            b2: Scalar(beta2), weight2: Scalar(1 - beta2), eps: Scalar(eps), negStepSize: 0, biasCorrection2Sqrt: 1)
        let amsgrad = self.amsgrad
        for (i, p) in parameters.enumerated() where p.grad != nil {
            steps[i] += 1
            let t = Double(steps[i])
            let biasCorrection1 = 1 - Double.pow(beta1, t)
            let biasCorrection2 = 1 - Double.pow(beta2, t)
            f.negStepSize = Scalar(-(lr / biasCorrection1))
            f.biasCorrection2Sqrt = Scalar(biasCorrection2.squareRoot())
            if m[i].isEmpty {
                m[i] = [Scalar](repeating: 0, count: p.count)
                v[i] = m[i]
                if amsgrad { vMax[i] = m[i] }
            }
            let factors = f
            m[i].withUnsafeMutableBufferPointer { m in
                v[i].withUnsafeMutableBufferPointer { v in
                    vMax[i].withUnsafeMutableBufferPointer { vMax in
                        let m = m.baseAddress!, v = v.baseAddress!
                        // Without AMSGrad the kernel never touches its `vMax` argument.
                        let vMax = vMax.baseAddress ?? m
                        p.updateInPlace { w, g, n in
                            Parallel.forEachRange(n) { s, e in
                                if amsgrad {
                                    Self.update(w + s, g + s, m + s, v + s, vMax + s, e - s, factors, amsgrad: true)
                                } else {
                                    Self.update(w + s, g + s, m + s, v + s, vMax, e - s, factors, amsgrad: false)
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// One Adam step over `n` elements in one pass. `amsgrad` is a constant at each call,
    /// and the factors' flags select rather than branch, so the loop vectorises.
    @inline(__always)
    private static func update(
        _ w: UnsafeMutablePointer<Scalar>, _ grad: UnsafePointer<Scalar>, _ m: UnsafeMutablePointer<Scalar>,
        _ v: UnsafeMutablePointer<Scalar>, _ vMax: UnsafeMutablePointer<Scalar>, _ n: Int,
        _ f: AdamFactors<Scalar>, amsgrad: Bool
    ) {
        // The factors as locals: read through `f` inside the loop they are loads that the
        // stores to w, m and v might alias, and the loop stays scalar.
        let (shrinks, shrink, addsDecay, wd) = (f.shrinks, f.shrink, f.addsDecay, f.wd)
        let (lerpLow, weight1, weight1Complement) = (f.lerpLow, f.weight1, f.weight1Complement)
        let (b2, weight2, eps) = (f.b2, f.weight2, f.eps)
        let (negStepSize, biasCorrection2Sqrt) = (f.negStepSize, f.biasCorrection2Sqrt)
        for j in 0..<n {
            let w0 = w[j]
            let wj = shrinks ? w0 * shrink : w0
            let g = addsDecay ? grad[j] + wd * wj : grad[j]
            let m0 = m[j]
            // torch.lerp's two forms: exact at weight 0 below 0.5, at weight 1 above.
            let mj = lerpLow ? m0 + weight1 * (g - m0) : g - (g - m0) * weight1Complement
            m[j] = mj
            var vj = v[j] * b2 + weight2 * g * g
            v[j] = vj
            if amsgrad {
                // torch.maximum: NaN if either is.
                let previous = vMax[j]
                vj = vj > previous || vj != vj ? vj : previous
                vMax[j] = vj
            }
            let denom = Scalar.vectorisableSquareRoot(vj) / biasCorrection2Sqrt + eps
            w[j] = wj + negStepSize * mj / denom
        }
    }
}

/// One Adam step's factors for one parameter, in its precision.
struct AdamFactors<Scalar: Autograd.Scalar> {
    let shrink: Scalar, wd: Scalar
    /// AdamW's `p *= 1 − lr·weightDecay`; Adam's `g += weightDecay·p` (neither at zero decay).
    let shrinks: Bool, addsDecay: Bool
    let weight1: Scalar, weight1Complement: Scalar, lerpLow: Bool
    let b2: Scalar, weight2: Scalar, eps: Scalar
    var negStepSize: Scalar, biasCorrection2Sqrt: Scalar
}

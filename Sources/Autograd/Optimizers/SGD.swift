/// Stochastic gradient descent with optional momentum, dampening, Nesterov momentum and
/// (L2) weight decay: `torch.optim.SGD`.
///
/// For each parameter `p` with gradient `g`:
/// `g += weightDecay·p`; with momentum, `buf = g` on the first step and
/// `buf = momentum·buf + (1 − dampening)·g` after, then `g = g + momentum·buf` (Nesterov)
/// or `g = buf`; finally `p −= lr·g`.
public final class SGD<Scalar: Autograd.Scalar>: Optimizer {
    public let parameters: [Tensor<Scalar>]
    /// The learning rate; may be changed between steps.
    public var lr: Double
    /// The momentum factor (0: plain SGD).
    public let momentum: Double
    /// The dampening of the gradient's contribution to the momentum buffer.
    public let dampening: Double
    /// Whether to use Nesterov momentum.
    public let nesterov: Bool
    /// The L2 penalty added to the gradient.
    public let weightDecay: Double

    /// The momentum buffer of each parameter, empty until its first step with a gradient
    /// (and always without momentum).
    var buffers: [[Scalar]]

    /// Traps, as torch raises, on a negative `lr`, `momentum` or `weightDecay`, or on
    /// `nesterov` without momentum or with dampening.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public init(
        _ parameters: [Tensor<Scalar>], lr: Double, momentum: Double = 0, dampening: Double = 0,
        nesterov: Bool = false, weightDecay: Double = 0
    ) {
        precondition(lr >= 0, "SGD: invalid learning rate \(lr)")
        precondition(momentum >= 0, "SGD: invalid momentum value \(momentum)")
        precondition(weightDecay >= 0, "SGD: invalid weight_decay value \(weightDecay)")
        precondition(
            !nesterov || (momentum > 0 && dampening == 0),
            "SGD: Nesterov momentum requires a momentum and zero dampening")
        self.parameters = parameters
        self.lr = lr
        self.momentum = momentum
        self.dampening = dampening
        self.nesterov = nesterov
        self.weightDecay = weightDecay
        self.buffers = Array(repeating: [], count: parameters.count)
    }

    // Specialised: called through `any Optimizer` from another module (the graph layer's
    // trainer, a consumer package), an unspecialised step does its arithmetic through
    // protocol witnesses, 20 times slower (issue 21).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func step() {
        // torch converts each Python-float factor to the tensor's dtype once.
        let c = SGDFactors(
            wd: Scalar(weightDecay), mu: Scalar(momentum), keep: Scalar(1 - dampening), negLr: Scalar(-lr),
            decay: weightDecay != 0, nesterov: nesterov)
        for (i, p) in parameters.enumerated() where p.grad != nil {
            guard momentum != 0 else {
                p.updateInPlace { w, g, n in
                    Parallel.forEachRange(n) { s, e in Self.update(w + s, g + s, e - s, c) }
                }
                continue
            }
            let first = buffers[i].isEmpty
            if first { buffers[i] = [Scalar](repeating: 0, count: p.count) }
            buffers[i].withUnsafeMutableBufferPointer { b in
                let b = b.baseAddress!
                p.updateInPlace { w, g, n in
                    Parallel.forEachRange(n) { s, e in
                        if first { Self.update(w + s, g + s, momentum: b + s, e - s, c, first: true) } else {
                            Self.update(w + s, g + s, momentum: b + s, e - s, c, first: false)
                        }
                    }
                }
            }
        }
    }

    /// `p −= lr·(g + wd·p)`, without momentum: one pass over `n` elements.
    @inline(__always)
    private static func update(_ w: UnsafeMutablePointer<Scalar>, _ grad: UnsafePointer<Scalar>, _ n: Int, _ c: SGDFactors<Scalar>) {
        // Locals, not `c.…` in the loop: see AdamState.update.
        let (negLr, decay, wd) = (c.negLr, c.decay, c.wd)
        for j in 0..<n {
            let g = grad[j]
            w[j] = w[j] + negLr * (decay ? g + wd * w[j] : g)
        }
    }

    /// The momentum update of `n` elements in one pass; `first` (a constant at each call,
    /// so the loop has no branch) starts the buffer as a copy of the gradient.
    @inline(__always)
    private static func update(
        _ w: UnsafeMutablePointer<Scalar>, _ grad: UnsafePointer<Scalar>, momentum b: UnsafeMutablePointer<Scalar>,
        _ n: Int, _ c: SGDFactors<Scalar>, first: Bool
    ) {
        let (negLr, decay, wd, mu, keep, nesterov) = (c.negLr, c.decay, c.wd, c.mu, c.keep, c.nesterov)
        for j in 0..<n {
            let wj = w[j]
            let g = decay ? grad[j] + wd * wj : grad[j]
            let buf = first ? g : b[j] * mu + keep * g
            b[j] = buf
            w[j] = wj + negLr * (nesterov ? g + mu * buf : buf)
        }
    }
}

/// One SGD step's factors, in the parameters' precision.
struct SGDFactors<Scalar: Autograd.Scalar> {
    let wd: Scalar, mu: Scalar, keep: Scalar, negLr: Scalar
    let decay: Bool, nesterov: Bool
}

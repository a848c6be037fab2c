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

    /// The momentum buffer of each parameter, `nil` until its first step with a gradient.
    private var buffers: [[Scalar]?]

    /// Traps, as torch raises, on a negative `lr`, `momentum` or `weightDecay`, or on
    /// `nesterov` without momentum or with dampening.
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
        self.buffers = Array(repeating: nil, count: parameters.count)
    }

    public func step() {
        // torch converts each Python-float factor to the tensor's dtype once.
        let wd = Scalar(weightDecay), mu = Scalar(momentum), keep = Scalar(1 - dampening)
        let negLr = Scalar(-lr)
        let useMomentum = momentum != 0, useDecay = weightDecay != 0, nesterov = self.nesterov
        for (i, p) in parameters.enumerated() where p.grad != nil {
            let first = buffers[i] == nil
            var buf = buffers[i] ?? (useMomentum ? [Scalar](repeating: 0, count: p.count) : [])
            buffers[i] = nil  // keep `buf` uniquely referenced while it is written
            buf.withUnsafeMutableBufferPointer { b in
                p.updateInPlace { w, grad in
                    for j in 0..<w.count {
                        var g = grad[j]
                        if useDecay { g = g + wd * w[j] }
                        if useMomentum {
                            b[j] = first ? g : b[j] * mu + keep * g
                            g = nesterov ? g + mu * b[j] : b[j]
                        }
                        w[j] = w[j] + negLr * g
                    }
                }
            }
            if useMomentum { buffers[i] = buf }
        }
    }
}

import Autograd
import Testing

/// Higher derivatives of the losses, normalisations and attention against closed forms,
/// the create-graph gradient against the first-order one row by row, and a WGAN-GP
/// gradient penalty differentiated with respect to the critic's weights.
@Suite struct LossHigherOrderTests {
    /// The ops whose differentiable vector-Jacobian products live in Higher/Losses,
    /// Normalization and Attention.
    static let ops: Set<String> = [
        "mse_loss", "cross_entropy", "binary_cross_entropy", "binary_cross_entropy_with_logits", "nll_loss", "l1_loss",
        "smooth_l1_loss", "huber_loss", "kl_div", "cosine_similarity", "layer_norm", "rms_norm", "group_norm",
        "batch_norm", "scaled_dot_product_attention",
    ]

    /// The create-graph pass's first derivative equals the first-order `backward()`'s, for a
    /// random seed, to rounding (the formulas are the same, evaluated in another order).
    @Test(arguments: opCases.filter { ops.contains($0.name) })
    func recordedGradientEqualsFirstOrder(_ c: OpCase) throws {
        let op = try makeOp(c.name, c.attrs)
        let inputs = c.inputs()
        let wrt = inputs.indices.filter { c.differentiable[$0] }
        func leaves() -> [Tensor<Double>] {
            inputs.enumerated().map { i, x in Tensor(x, requiresGrad: c.differentiable[i]) }
        }
        let first = leaves()
        let y = try Tensor.apply(op, first)
        let seed = randomArray(y.shape, seed: 5)
        try y.backward(seed: seed)
        let second = leaves()
        let recorded = try grad(
            of: try Tensor.apply(op, second), wrt: wrt.map { second[$0] }, seed: Tensor(seed), createGraph: true)
        for (j, k) in wrt.enumerated() {
            let expected = first[k].gradOrZeros
            #expect(recorded[j].shape == expected.shape, "\(c.testDescription) input \(k)")
            for (a, b) in zip(recorded[j].scalars, expected.data) where !(a.isNaN && b.isNaN) {
                #expect(abs(a - b) <= 1e-12 * max(1, abs(b)), "\(c.testDescription) input \(k): \(a) vs \(b)")
            }
        }
    }

    /// The normalisations and attention, which the issue asks twice differentiable, are
    /// three times differentiable too (their decompositions are): the third-order check
    /// of HigherOrderTests over their rows.
    @Test(arguments: opCases.filter { ["layer_norm", "rms_norm", "group_norm", "batch_norm", "scaled_dot_product_attention"].contains($0.name) })
    func compositeThirdDerivativesMatchFiniteDifferences(_ c: OpCase) throws {
        let op = try makeOp(c.name, c.attrs)
        let inputs = c.inputs()
        let wrt = inputs.indices.filter { c.differentiable[$0] }
        let v = randomArray(try Tensor.apply(op, inputs.map { Tensor($0) }).shape, seed: 17)
        let w = inputs.map { randomArray($0.shape, seed: 23) }
        func projected(_ leaves: [Tensor<Double>]) throws -> Tensor<Double> {
            for k in wrt { leaves[k].requiresGrad = true }
            let gs = try grad(of: try Tensor.apply(op, leaves), wrt: wrt.map { leaves[$0] }, seed: Tensor(v), createGraph: true)
            var total = Tensor(NDArray<Double>(scalar: 0))
            for (j, k) in wrt.enumerated() {
                total = try Tensor.apply(Add(), [total, try Tensor.apply(Sum(), [try Tensor.apply(Mul(), [gs[j], Tensor(w[k])])])])
            }
            return total
        }
        try gradgradcheck(projected, inputs: inputs, differentiable: c.differentiable)
    }

    /// In float32 too the recorded gradient is the first-order one, to float rounding
    /// (cross_entropy as W2 uses it, and a composite op).
    @Test func recordedGradientEqualsFirstOrderInFloat32() throws {
        let logits = NDArray<Float>(shape: [8, 5], data: randomArray([8, 5], seed: 81).data.map { Float($0) })
        let target = Tensor(NDArray<Float>(shape: [8], data: [0, 4, 2, 1, 3, 3, 0, 2]))
        let ln = LayerNormOp(normalizedShape: [5])
        let cases: [(Tensor<Float>) throws -> Tensor<Float>] = [
            { try Tensor.apply(CrossEntropy(), [$0, target]) },
            { try Tensor.apply(Sum(), [try Tensor.apply(Mul(), [try Tensor.apply(ln, [$0]), Tensor(logits)])]) },
        ]
        for f in cases {
            let x = Tensor(logits, requiresGrad: true)
            try f(x).backward()
            let y = Tensor(logits, requiresGrad: true)
            let g = try grad(of: try f(y), wrt: [y], createGraph: true)[0]
            for (a, b) in zip(g.scalars, x.gradOrZeros.data) { #expect(abs(a - b) <= 1e-5 * max(1, abs(b)), "\(a) vs \(b)") }
        }
    }

    /// mean cross_entropy over N samples: the Hessian with respect to the logits is block
    /// diagonal, (diag(p) − p pᵀ) / N per sample, whatever the label smoothing.
    @Test(arguments: [0.0, 0.2])
    func crossEntropyHessianIsTheSoftmaxCovariance(_ smoothing: Double) throws {
        let (n, c) = (3, 4)
        let logits = randomArray([n, c], seed: 41), v = randomArray([n, c], seed: 42)
        let target = Tensor(NDArray<Double>(shape: [n], data: [2, 0, 3]))
        let op = CrossEntropy(reduction: .mean, labelSmoothing: smoothing)
        let (_, hv) = try hvp({ try Tensor.apply(op, [$0[0], target]) }, at: [logits], vectors: [v])
        let expected = softmaxCovariance(logits, v, scale: [Double](repeating: 1 / Double(n), count: n))
        expectClose(hv[0].data, expected)
    }

    /// With class weights and an ignored sample, each sample's block is scaled by its class
    /// weight over the summed weight, and the ignored sample's is 0.
    @Test func weightedCrossEntropyHessianScalesEachSample() throws {
        let logits = randomArray([4, 3], seed: 43), v = randomArray([4, 3], seed: 44)
        let target = Tensor(NDArray<Double>(shape: [4], data: [0, -100, 2, 1]))
        let weight = Tensor(NDArray<Double>(shape: [3], data: [0.5, 2, 1.5]))
        let (_, hv) = try hvp(
            { try Tensor.apply(CrossEntropy(), [$0[0], target, weight]) }, at: [logits], vectors: [v])
        let total = 0.5 + 1.5 + 2
        let expected = softmaxCovariance(logits, v, scale: [0.5 / total, 0, 1.5 / total, 2 / total])
        expectClose(hv[0].data, expected)
    }

    /// The third derivative of Σ cross_entropy (one sample) along v, by differentiating the
    /// recorded Hessian-vector product. With H = diag(p) − p pᵀ, ⟨Hv, u⟩ = p·(v ⊙ u) −
    /// (p·v)(p·u), and ∂p_i/∂z_j = p_i (δ_ij − p_j) gives its gradient in closed form.
    @Test func crossEntropyThirdDerivativeMatchesTheClosedForm() throws {
        let z = randomArray([5], seed: 45), v = randomArray([5], seed: 46), u = randomArray([5], seed: 47)
        let x = Tensor(z, requiresGrad: true)
        let loss = try Tensor.apply(CrossEntropy(reduction: .sum), [x, Tensor(NDArray<Double>(scalar: 1))])
        let (_, hv) = try hvp(of: loss, wrt: [x], vectors: [Tensor(v)], createGraph: true)
        let inner = try Tensor.apply(Sum(), [try Tensor.apply(Mul(), [hv[0], Tensor(u)])])
        let third = try grad(of: inner, wrt: [x])[0].scalars
        // ⟨Hv, u⟩ = Σ p v u − (p·v)(p·u); with dp = p ⊙ (e − p·e) per direction:
        let p = softmax(z.data)
        let pv = dot(p, v.data), pu = dot(p, u.data), pvu = dot(p, zip(v.data, u.data).map(*))
        let expected = p.indices.map { i in
            p[i] * (v.data[i] * u.data[i] - pvu) - p[i] * (v.data[i] - pv) * pu - p[i] * (u.data[i] - pu) * pv
        }
        expectClose(third, expected)
    }

    /// mean squared error: H = 2/n [[I, −I], [−I, I]] over (input, target), exactly (n a
    /// power of two).
    @Test func mseHessianVectorProductIsExact() throws {
        let x = randomArray([2, 2], seed: 51), t = randomArray([2, 2], seed: 52)
        let vx = randomArray([2, 2], seed: 53), vt = randomArray([2, 2], seed: 54)
        let (_, hv) = try hvp({ try Tensor.apply(MSELoss(), [$0[0], $0[1]]) }, at: [x, t], vectors: [vx, vt])
        #expect(hv[0].data == zip(vx.data, vt.data).map { ($0 - $1) * 0.5 })
        #expect(hv[1].data == zip(vx.data, vt.data).map { ($1 - $0) * 0.5 })
    }

    /// binary_cross_entropy_with_logits: the Hessian in the logits is diag(σ(x)(1 − σ(x))) / n.
    @Test func bceWithLogitsHessianIsDiagonal() throws {
        let x = randomArray([6], seed: 55), t = randomArray([6], in: 0...1, seed: 56), v = randomArray([6], seed: 57)
        let target = Tensor(t)
        let (_, hv) = try hvp(
            { try Tensor.apply(BinaryCrossEntropyWithLogits(), [$0[0], target]) }, at: [x], vectors: [v])
        let expected = zip(x.data, v.data).map { x, v in
            let s = 1 / (1 + Double.exp(-x))
            return s * (1 - s) * v / 6
        }
        expectClose(hv[0].data, expected)
    }

    /// An input passed twice (self-attention, q = k = v) gets the gradients of its three
    /// uses added once each: the recorded gradient equals the first-order one.
    @Test func selfAttentionGradientCountsEachUseOnce() throws {
        let x0 = randomArray([2, 3, 4], seed: 61), seed = randomArray([2, 3, 4], seed: 62)
        let x = Tensor(x0, requiresGrad: true)
        try Tensor.apply(ScaledDotProductAttention(), [x, x, x]).backward(seed: seed)
        let y = Tensor(x0, requiresGrad: true)
        let g = try grad(of: try Tensor.apply(ScaledDotProductAttention(), [y, y, y]), wrt: [y], seed: Tensor(seed), createGraph: true)
        expectClose(g[0].scalars, x.gradOrZeros.data)
        try gradgradcheck({ try Tensor.apply(ScaledDotProductAttention(), [$0[0], $0[0], $0[0]]) }, inputs: [x0])
    }

    /// A mask that wants a gradient and holds −∞ (a partly masked row and a fully masked
    /// one): the gradient reaches its finite entries only, equals the first-order one, and
    /// its second derivatives match central differences.
    @Test func attentionMaskWithInfinityIsDifferentiable() throws {
        let inf = -Double.infinity
        let mask = NDArray<Double>(shape: [3, 4], data: [0.5, inf, -1, 0, inf, inf, inf, inf, 0.3, 0, inf, 2])
        let q = randomArray([1, 3, 2], seed: 65), k = randomArray([1, 4, 2], seed: 66), v = randomArray([1, 4, 2], seed: 67)
        let seed = randomArray([1, 3, 2], seed: 68)
        let op = ScaledDotProductAttention()
        let first = [q, k, v, mask].map { Tensor($0, requiresGrad: true) }
        try Tensor.apply(op, first).backward(seed: seed)
        let second = [q, k, v, mask].map { Tensor($0, requiresGrad: true) }
        let g = try grad(of: try Tensor.apply(op, second), wrt: second, seed: Tensor(seed), createGraph: true)
        for i in 0..<4 { expectClose(g[i].scalars, first[i].gradOrZeros.data) }
        #expect(g[3].scalars.enumerated().allSatisfy { mask.data[$0.offset].isFinite || $0.element == 0 })
        #expect(g[3].scalars.contains { $0 != 0 })
        try gradgradcheck({ try Tensor.apply(op, $0) }, inputs: [q, k, v, mask])
    }

    /// Under `noGrad` a composite op's gradient is still right (its decomposition is
    /// recorded for the reverse pass and the result detached).
    @Test func compositeGradientUnderNoGradHasTheFirstOrderValues() throws {
        let x0 = randomArray([3, 5], seed: 63), seed = randomArray([3, 5], seed: 64)
        let op = LayerNormOp(normalizedShape: [5])
        let x = Tensor(x0, requiresGrad: true)
        try Tensor.apply(op, [x]).backward(seed: seed)
        let y = Tensor(x0, requiresGrad: true)
        let out = try Tensor.apply(op, [y])
        let g = try noGrad { try grad(of: out, wrt: [y], seed: Tensor(seed)) }
        expectClose(g[0].scalars, x.gradOrZeros.data)
        #expect(!g[0].requiresGrad)
    }

    /// WGAN-GP: the penalty mean((‖∇ₓ D(x)‖ − 1)²) of a critic D(x) = Σ tanh(x W + b) · u is
    /// a function of the weights through the input gradient; its own gradient with respect
    /// to W, b and u (a third-order quantity of the net) matches central differences.
    @Test func gradientPenaltyIsDifferentiableInTheWeights() throws {
        let x = randomArray([4, 3], seed: 71)
        func penalty(_ p: [Tensor<Double>]) throws -> Tensor<Double> {
            let input = Tensor(x, requiresGrad: true)
            let h = try Tensor.apply(TanhOp(), [try Tensor.apply(LinearOp(), [input, p[0], p[1]])])
            let critic = try Tensor.apply(Sum(), [try Tensor.apply(MatMul(), [h, p[2]])])
            let dx = try grad(of: critic, wrt: [input], createGraph: true)[0]
            let norms = try Tensor.apply(Sqrt(), [try Tensor.apply(Sum(axes: [1]), [try Tensor.apply(Mul(), [dx, dx])])])
            let gap = try Tensor.apply(Sub(), [norms, Tensor(NDArray<Double>(scalar: 1))])
            return try Tensor.apply(MSELoss(), [gap, Tensor(NDArray<Double>(repeating: 0, shape: [4]))])
        }
        let w = randomArray([3, 5], seed: 72), b = randomArray([5], seed: 73), u = randomArray([5], seed: 74)
        let value = try penalty([Tensor(w), Tensor(b), Tensor(u)]).scalars[0]
        #expect(value > 0 && value.isFinite)
        try gradcheck(penalty, inputs: [w, b, u])
        try gradgradcheck(penalty, inputs: [w, b, u])
    }
}

/// (diag(p) − p pᵀ) v per row of `logits` (p its softmax), the row scaled by `scale`.
private func softmaxCovariance(_ logits: NDArray<Double>, _ v: NDArray<Double>, scale: [Double]) -> [Double] {
    let c = logits.shape[1]
    return (0..<logits.shape[0]).flatMap { i -> [Double] in
        let p = softmax(Array(logits.data[i * c..<(i + 1) * c]))
        let vi = Array(v.data[i * c..<(i + 1) * c])
        let pv = dot(p, vi)
        return (0..<c).map { j in scale[i] * (p[j] * vi[j] - p[j] * pv) }
    }
}

private func softmax(_ z: [Double]) -> [Double] {
    let m = z.max() ?? 0
    let e = z.map { Double.exp($0 - m) }
    let s = e.reduce(0, +)
    return e.map { $0 / s }
}

private func dot(_ a: [Double], _ b: [Double]) -> Double { zip(a, b).reduce(0) { $0 + $1.0 * $1.1 } }

/// Equal to rounding: every element within 1e-13 (the values are O(1)).
private func expectClose(
    _ got: [Double], _ expected: [Double], sourceLocation: SourceLocation = #_sourceLocation
) {
    #expect(got.count == expected.count, sourceLocation: sourceLocation)
    for (a, b) in zip(got, expected) {
        #expect(abs(a - b) <= 1e-13, "\(a) vs \(b)", sourceLocation: sourceLocation)
    }
}

/// Cross-entropy of logits against class indices or class probabilities: PyTorch's
/// `cross_entropy`, with its optional class `weight`, `ignore_index` and
/// `label_smoothing`.
///
/// Logits are `[N, C]`, `[N, C, d...]` (classes on axis 1) or `[C]` for a single sample.
/// The target is either class indices shaped like the logits without the class axis,
/// stored as integral floats in `[0, C)` (or equal to `ignore_index`), or class
/// probabilities of the logits' shape. With `label_smoothing` ε the target becomes
/// `(1 − ε)·target + ε/C`. With class weights `w` the per-sample loss is
/// `(1 − ε)·w_k·(−log p_k) + (ε/C)·Σ_c w_c·(−log p_c)` for class index k, and
/// `−Σ_c w_c·t'_c·log p_c` for probabilities. `mean` divides by the summed weight of the
/// samples not ignored (their count without weights), as torch; for probabilities by the
/// number of samples. The weight gets no gradient (torch does not differentiate it).
public struct CrossEntropy: SavingOperator {
    /// The `label_smoothing` attribute: a number in [0, 1], default 0.
    public static let labelSmoothingAttribute = AttributeSpec(
        "label_smoothing", .number, default: .number(0),
        "in [0, 1]: mix the target with the uniform distribution by this weight")

    public static let signature = OpSignature(
        name: "cross_entropy", arity: .range(2, 3), inputs: ["logits", "target", "weight?"],
        attributes: [Reduction.attribute, labelSmoothingAttribute, ClassScores.ignoreIndexAttribute],
        summary: "cross-entropy of logits [N, C, d...] against class indices [N, d...] or probabilities, optional class weight [C]",
        pytorch: "torch.nn.functional.cross_entropy(logits, target, weight=weight, reduction=reduction, ignore_index=ignore_index, label_smoothing=label_smoothing)",
        shapeRule: "logits [N, C, d...] with target [N, d...] of class indices or [N, C, d...] of probabilities, optional weight [C] (one sample: [C] with [] or [C]); [] for \"mean\" and \"sum\", [N, d...] for \"none\"",
        notes: "log-sum-exp form; class indices are floats holding integers in [0, C) or equal to ignore_index (else 422 at the target); per sample (1-ε)·w_k·(-log p_k) + (ε/C)·Σ_c w_c·(-log p_c); \"mean\" divides by the summed weight of the samples not ignored (their count without a weight; NaN when all are ignored), as torch; with probabilities it divides by the number of samples and ignore_index does not apply; the weight gets no gradient")

    /// How the per-sample losses are reduced.
    public let reduction: Reduction
    /// The weight of the uniform distribution mixed into the target, in [0, 1].
    public let labelSmoothing: Double
    /// A target class index whose samples add nothing to the loss, to the mean's denominator or to
    /// the gradient; default −100, as torch. Class-index targets only.
    public let ignoreIndex: Int

    /// `labelSmoothing` must be in [0, 1].
    public init(reduction: Reduction = .mean, labelSmoothing: Double = 0, ignoreIndex: Int = -100) {
        precondition((0...1).contains(labelSmoothing), "cross_entropy: label_smoothing must be in [0, 1]")
        self.reduction = reduction
        self.labelSmoothing = labelSmoothing
        self.ignoreIndex = ignoreIndex
    }

    public init(attributes: Attributes) throws(OpError) {
        let smoothing = try attributes.number("label_smoothing")
        guard (0...1).contains(smoothing) else {
            throw .attribute(name: "label_smoothing", detail: "must be between 0 and 1, got \(smoothing)")
        }
        self.init(
            reduction: try Reduction(attributes: attributes), labelSmoothing: smoothing,
            ignoreIndex: try attributes.int("ignore_index"))
    }

    public func outputShape(_ inputs: [[Int]]) throws(OpError) -> [Int] {
        reduction.outputShape(try ClassScores("cross_entropy", inputs, probabilitiesAllowed: true).rowShape)
    }

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func validateValues<T: Scalar>(_ inputs: [NDArray<T>]) throws(OpError) {
        let layout = try ClassScores("cross_entropy", inputs.map(\.shape), probabilitiesAllowed: true)
        try layout.check(inputs[1], ignore: ignoreIndex)
    }

    /// The inputs read once for the forward and the backward pass.
    private struct Prepared<T: Scalar> {
        let layout: ClassScores
        let logp: [T]
        /// Each sample's class (-1: ignored); empty for probability targets.
        let classes: [Int]
        let weight: [T]?
        /// The mean's denominator.
        let denominator: T
    }

    /// `logp`: the log-softmax the forward pass saved, else computed here.
    private func prepare<T: Scalar>(_ x: [NDArray<T>], logp saved: [T]? = nil) -> Prepared<T>? {
        guard let layout = try? ClassScores("cross_entropy", x.map(\.shape), probabilitiesAllowed: true) else {
            return nil
        }
        let weight = x.count > 2 ? x[2].data : nil
        let classes = layout.indices ? layout.classes(x[1], ignore: ignoreIndex) : []
        let denominator = layout.indices ? layout.totalWeight(classes, weight) : T(layout.samples)
        return Prepared(
            layout: layout, logp: saved ?? layout.logSoftmax(x[0]), classes: classes, weight: weight, denominator: denominator)
    }

    /// The loss, and the log-softmax saved for the backward pass (when an input needs a
    /// gradient), which would otherwise recompute it.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func forward<T: Scalar>(_ x: [NDArray<T>], saving needs: [Bool]) -> (NDArray<T>, [NDArray<T>?]) {
        guard let prep = prepare(x) else { return (x[0], []) }
        let saved = needs.contains(true) ? [NDArray(shape: x[0].shape, data: prep.logp)] : []
        return (loss(x, prep), saved)
    }

    private func loss<T: Scalar>(_ x: [NDArray<T>], _ prep: Prepared<T>) -> NDArray<T> {
        let layout = prep.layout, c = layout.c, inner = layout.inner
        let eps = T(labelSmoothing), smoothing = labelSmoothing != 0
        let weight = prep.weight
        let losses = prep.logp.withUnsafeBufferPointer { lp in
            x[1].data.withUnsafeBufferPointer { t in
                NDArray<T>(shape: layout.rowShape) { out in
                    for s in 0..<layout.samples {
                        let base = layout.offset(s, 0)
                        if layout.indices {
                            let k = prep.classes[s]
                            guard k >= 0 else {
                                // Ignored; an unchecked invalid index (a graph run without
                                // `validateValues`) gives NaN, not a trap.
                                out[s] = t[s] == T(ignoreIndex) ? 0 : .nan
                                continue
                            }
                            let nll = weight.map { -lp[base + k * inner] * $0[k] } ?? -lp[base + k * inner]
                            if !smoothing {
                                out[s] = nll
                            } else {
                                // torch: (1 − ε)·nll + (ε / C)·(−Σ w log p)
                                var smooth: T = 0
                                for j in 0..<c { smooth -= weight.map { lp[base + j * inner] * $0[j] } ?? lp[base + j * inner] }
                                out[s] = nll * (1 - eps) + smooth * (eps / T(c))
                            }
                        } else {
                            var acc: T = 0
                            for j in 0..<c {
                                let o = base + j * inner
                                let tj = smoothing ? t[o] * (1 - eps) + eps / T(c) : t[o]
                                acc -= (weight.map { lp[o] * $0[j] } ?? lp[o]) * tj
                            }
                            out[s] = acc
                        }
                    }
                }
            }
        }
        return ClassScores.reduce(losses, reduction, denominator: prep.denominator)
    }

    /// d/dlogits = (softmax · Σ_c t' − t') · g per sample, with t'_c the weighted, smoothed
    /// target (w_k·(1 − ε) at the class index plus w_c·ε/C; whose sum is 1 without a
    /// weight); d/dtarget = −(1 − ε) · w · log_softmax · g. `saved` holds the forward
    /// pass's log-softmax (recomputed when absent); softmax = exp(log_softmax), whose
    /// argument is <= 0: FastMath's branch-free exp.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func vjp<T: Scalar>(
        _ grad: NDArray<T>, inputs x: [NDArray<T>], output: NDArray<T>, saved: [NDArray<T>?], needs: [Bool]
    ) -> [NDArray<T>?] {
        let none = x.map { _ -> NDArray<T>? in nil }
        let logp = saved.first.flatMap { $0?.data }
        guard let prep = prepare(x, logp: logp?.count == x[0].data.count ? logp : nil) else { return none }
        let layout = prep.layout, c = layout.c, inner = layout.inner
        let g = ClassScores.spread(grad, reduction, count: layout.samples, denominator: prep.denominator)
        let eps = T(labelSmoothing), smoothing = labelSmoothing != 0
        let uniform = eps / T(c)
        let weight = prep.weight
        var result = none
        if needs[0] && layout.inner == 1 && layout.indices && weight == nil {
            result[0] = indexGradient(prep, g, shape: x[0].shape)
        } else if needs[0] {
            result[0] = prep.logp.withUnsafeBufferPointer { lp in
                x[1].data.withUnsafeBufferPointer { t in
                    NDArray<T>(shape: x[0].shape) { out in
                        var target = [T](repeating: 0, count: c)
                        for s in 0..<layout.samples {
                            let base = layout.offset(s, 0), gs = g[s]
                            if layout.indices {
                                let k = prep.classes[s]
                                guard k >= 0 else {
                                    for j in 0..<c { out[base + j * inner] = 0 }
                                    continue
                                }
                                guard let w = weight else {
                                    for j in 0..<c {
                                        let tj = (j == k ? 1 - eps : 0) + uniform
                                        out[base + j * inner] = (T.expNonPositive(lp[base + j * inner]) - tj) * gs
                                    }
                                    continue
                                }
                                var sum: T = 0
                                for j in 0..<c {
                                    target[j] = (j == k ? (1 - eps) * w[k] : 0) + uniform * w[j]
                                    sum += target[j]
                                }
                                for j in 0..<c {
                                    out[base + j * inner] = (T.expNonPositive(lp[base + j * inner]) * sum - target[j]) * gs
                                }
                            } else {
                                var sum: T = 0
                                for j in 0..<c {
                                    let o = base + j * inner
                                    let tj = smoothing ? t[o] * (1 - eps) + uniform : t[o]
                                    target[j] = weight.map { tj * $0[j] } ?? tj
                                    sum += target[j]
                                }
                                for j in 0..<c {
                                    let o = base + j * inner
                                    out[o] = (T.expNonPositive(lp[o]) * sum - target[j]) * gs
                                }
                            }
                        }
                    }
                }
            }
        }
        if needs[1] && !layout.indices {
            result[1] = prep.logp.withUnsafeBufferPointer { lp in
                NDArray<T>(shape: x[1].shape) { out in
                    for s in 0..<layout.samples {
                        let base = layout.offset(s, 0), scale = -(1 - eps) * g[s]
                        for j in 0..<c {
                            let o = base + j * inner
                            out[o] = weight.map { lp[o] * $0[j] * scale } ?? lp[o] * scale
                        }
                    }
                }
            }
        }
        return result
    }

    /// The logits' gradient for class indices without a weight on contiguous rows (classes
    /// last): the general loop's values bit for bit (its target is exactly ε/C off the
    /// class), each row one vectorised pass, rows split over the thread budget.
    private func indexGradient<T: Scalar>(_ prep: Prepared<T>, _ g: [T], shape: [Int]) -> NDArray<T> {
        let layout = prep.layout, c = layout.c
        let eps = T(labelSmoothing), uniform = eps / T(c), hit = (1 - eps) + uniform
        return prep.logp.withUnsafeBufferPointer { lp in
            NDArray<T>(shape: shape) { out in
                let (lp, out) = (UncheckedSendable(lp.baseAddress!), UncheckedSendable(out.baseAddress!))
                layout.forEachSamples { first, end in
                    for s in first..<end {
                        let row = lp.value + s * c, o = out.value + s * c, gs = g[s], k = prep.classes[s]
                        guard k >= 0 else {
                            o.update(repeating: 0, count: c)
                            continue
                        }
                        // The exponentials through the vectorised kernel first (the same bits).
                        CPUKernels.expNonPositive(row, o, c)
                        let pk = o[k]
                        for j in 0..<c { o[j] = (o[j] - uniform) * gs }
                        o[k] = (pk - hit) * gs
                    }
                }
            }
        }
    }
}

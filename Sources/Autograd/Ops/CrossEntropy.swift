/// Cross-entropy of logits against class indices or class probabilities: PyTorch's
/// `cross_entropy` (without `weight` or `ignore_index`).
///
/// Logits are `[N, C]`, or `[C]` for a single sample. The target is either class indices,
/// `[N]` (or `[]`), stored as integral floats in `[0, C)`, or class probabilities of the
/// logits' shape. With `label_smoothing` ε the target becomes `(1 − ε)·target + ε/C`.
/// The per-sample loss is `−Σ_c target_c · log_softmax(logits)_c`; `mean` divides by N.
public struct CrossEntropy: Operator {
    public static let labelSmoothingAttribute = AttributeSpec(
        "label_smoothing", .number, default: .number(0),
        "in [0, 1]: mix the target with the uniform distribution by this weight")

    public static let signature = OpSignature(
        name: "cross_entropy", arity: .exactly(2), inputs: ["logits", "target"],
        attributes: [Reduction.attribute, labelSmoothingAttribute],
        summary: "cross-entropy of logits [N, C] against class indices [N] or probabilities [N, C]",
        pytorch: "torch.nn.functional.cross_entropy(logits, target, reduction=reduction, label_smoothing=label_smoothing)",
        shapeRule: "logits [N, C] with target [N] of class indices or [N, C] of probabilities (one sample: [C] with [] or [C]); [] for \"mean\" and \"sum\", [N] for \"none\"",
        notes: "log-sum-exp form; class indices are floats holding integers, checked to be in [0, C); label_smoothing mixes the target with uniform 1/C as PyTorch does")

    public let reduction: Reduction
    public let labelSmoothing: Double

    /// `labelSmoothing` must be in [0, 1].
    public init(reduction: Reduction = .mean, labelSmoothing: Double = 0) {
        precondition((0...1).contains(labelSmoothing), "cross_entropy: label_smoothing must be in [0, 1]")
        self.reduction = reduction
        self.labelSmoothing = labelSmoothing
    }

    public init(attributes: Attributes) throws(OpError) {
        let smoothing = try attributes.number("label_smoothing")
        guard (0...1).contains(smoothing) else {
            throw .attribute(name: "label_smoothing", detail: "must be between 0 and 1, got \(smoothing)")
        }
        self.init(reduction: try Reduction(attributes: attributes), labelSmoothing: smoothing)
    }

    /// How the two input shapes are read.
    private struct Layout {
        /// Samples and classes.
        let n: Int, c: Int
        /// Whether logits are `[N, C]` rather than a single sample `[C]`.
        let batched: Bool
        /// Whether the target holds class indices rather than probabilities.
        let indices: Bool

        /// The per-sample losses' shape.
        var rowShape: [Int] { batched ? [n] : [] }

        init(_ logits: [Int], _ target: [Int]) throws(OpError) {
            let described = "logits \(Shape.describe(logits)) and target \(Shape.describe(target))"
            switch logits.count {
            case 1: (n, c, batched) = (1, logits[0], false)
            case 2: (n, c, batched) = (logits[0], logits[1], true)
            default: throw .shape("cross_entropy: logits must be [N, C] or [C], got \(Shape.describe(logits))")
            }
            guard c >= 1 else { throw .shape("cross_entropy: logits need at least one class, got \(Shape.describe(logits))") }
            if target == logits {
                indices = false
            } else if target == Array(logits.dropLast()) {
                indices = true
            } else {
                throw .shape(
                    "cross_entropy: \(described) do not match: the target must be class indices "
                        + "\(Shape.describe(Array(logits.dropLast()))) or probabilities \(Shape.describe(logits))")
            }
        }
    }

    public func outputShape(_ inputs: [[Int]]) throws(OpError) -> [Int] {
        reduction.outputShape(try Layout(inputs[0], inputs[1]).rowShape)
    }

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func validateValues<T: Scalar>(_ inputs: [NDArray<T>]) throws(OpError) {
        let layout = try Layout(inputs[0].shape, inputs[1].shape)
        guard layout.indices else { return }
        for (i, v) in inputs[1].data.enumerated() {
            guard v.isFinite && v.rounded(.towardZero) == v else {
                throw .input(index: 1, detail: "class index \(v) at position \(i) is not an integer")
            }
            guard v >= 0 && v < T(layout.c) else {
                // Any integral float may come here (1e300, Float's 3e38): print it as an
                // integer only when Int holds it.
                let index = v.magnitude < 1e15 ? String(Int(v)) : "\(v)"
                throw .input(
                    index: 1, detail: "class index \(index) at position \(i) is out of range [0, \(layout.c))")
            }
        }
    }

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func forward<T: Scalar>(_ x: [NDArray<T>]) -> NDArray<T> {
        guard let layout = try? Layout(x[0].shape, x[1].shape) else { return x[0] }
        let (n, c) = (layout.n, layout.c)
        let logp = logSoftmax(x[0], n: n, c: c)
        let eps = T(labelSmoothing)
        let losses = logp.withUnsafeBufferPointer { lp in
            x[1].data.withUnsafeBufferPointer { t in
                NDArray<T>(shape: layout.rowShape) { out in
                    for i in 0..<n {
                        let row = i * c
                        if layout.indices {
                            // Unchecked values (a graph run without `validateValues`) give NaN, not a trap.
                            guard let k = classIndex(t[i], c) else {
                                out[i] = .nan
                                continue
                            }
                            let nll = -lp[row + k]
                            if labelSmoothing == 0 {
                                out[i] = nll
                            } else {
                                // torch: (1 − ε)·nll + (ε / C)·(−Σ log p)
                                var smooth: T = 0
                                for j in 0..<c { smooth -= lp[row + j] }
                                out[i] = nll * (1 - eps) + smooth * (eps / T(c))
                            }
                        } else {
                            var acc: T = 0
                            for j in 0..<c {
                                let tj = labelSmoothing == 0 ? t[row + j] : t[row + j] * (1 - eps) + eps / T(c)
                                acc -= lp[row + j] * tj
                            }
                            out[i] = acc
                        }
                    }
                }
            }
        }
        return reduction.apply(losses)
    }

    // d/dlogits = (softmax · Σ_c t' − t') · g per row, with t' the smoothed target (whose
    // sum is 1 for class indices); d/dtarget = −(1 − ε) · log_softmax · g.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func vjp<T: Scalar>(
        _ grad: NDArray<T>, inputs x: [NDArray<T>], output: NDArray<T>, needs: [Bool]
    ) -> [NDArray<T>?] {
        guard let layout = try? Layout(x[0].shape, x[1].shape) else { return [nil, nil] }
        let (n, c) = (layout.n, layout.c)
        let logp = logSoftmax(x[0], n: n, c: c)
        let g = reduction.spread(grad, over: layout.rowShape)
        let eps = T(labelSmoothing)
        let uniform = eps / T(c)
        var dLogits: NDArray<T>?
        if needs[0] {
            dLogits = logp.withUnsafeBufferPointer { lp in
                x[1].data.withUnsafeBufferPointer { t in
                    g.data.withUnsafeBufferPointer { gp in
                        NDArray<T>(shape: x[0].shape) { out in
                            for i in 0..<n {
                                let row = i * c, gi = gp[i]
                                if layout.indices {
                                    let k = classIndex(t[i], c)
                                    for j in 0..<c {
                                        let tj = (j == k ? 1 - eps : 0) + uniform
                                        out[row + j] = (T.exp(lp[row + j]) - tj) * gi
                                    }
                                } else {
                                    var sum: T = 0
                                    for j in 0..<c {
                                        let tj = labelSmoothing == 0 ? t[row + j] : t[row + j] * (1 - eps) + uniform
                                        out[row + j] = tj
                                        sum += tj
                                    }
                                    for j in 0..<c {
                                        out[row + j] = (T.exp(lp[row + j]) * sum - out[row + j]) * gi
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        var dTarget: NDArray<T>?
        if needs[1] && !layout.indices {
            dTarget = logp.withUnsafeBufferPointer { lp in
                g.data.withUnsafeBufferPointer { gp in
                    NDArray<T>(shape: x[1].shape) { out in
                        for i in 0..<n {
                            let scale = -(1 - eps) * gp[i]
                            for j in 0..<c { out[i * c + j] = lp[i * c + j] * scale }
                        }
                    }
                }
            }
        }
        return [dLogits, dTarget]
    }

    /// The class a stored index names, or `nil` when it is not an integer in `[0, c)`.
    @inline(__always)
    private func classIndex<T: Scalar>(_ v: T, _ c: Int) -> Int? {
        guard v >= 0 && v < T(c) && v.rounded(.towardZero) == v else { return nil }
        return Int(v)
    }

    /// Row-wise log-softmax of `[n, c]` logits, by the log-sum-exp trick: subtracting each
    /// row's maximum keeps `exp` from overflowing, so logits of ±1000 stay finite.
    private func logSoftmax<T: Scalar>(_ logits: NDArray<T>, n: Int, c: Int) -> [T] {
        logits.data.withUnsafeBufferPointer { x in
            [T](unsafeUninitializedCapacity: n * c) { out, count in
                for i in 0..<n {
                    let row = i * c
                    var m = x[row]
                    for j in 1..<c where x[row + j] > m { m = x[row + j] }
                    var s: T = 0
                    for j in 0..<c { s += T.exp(x[row + j] - m) }
                    let logS = T.log(s)
                    // (x − max) − log Σ, in torch's order, not x − (max + log Σ)
                    for j in 0..<c { out[row + j] = (x[row + j] - m) - logS }
                }
                count = n * c
            }
        }
    }
}

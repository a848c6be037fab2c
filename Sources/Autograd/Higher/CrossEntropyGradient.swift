private typealias R = Recorded

/// Cross-entropy's gradient with respect to its logits, for class-index targets, as one op:
/// `(softmax(logits) · s − t′) · g`, with `t′` the weighted, smoothed one-hot target of
/// each sample, `s` its sum over the classes (applied only where a class weight is given
/// or a sample is ignored; it is 1 otherwise) and `g` each sample's upstream gradient (a
/// scalar, or the scores' shape with the class axis 1). Not a wire op: cross_entropy's
/// differentiable vector-Jacobian product is written in it, one recorded node where the
/// same formula as softmax, multiply and subtract took three, each with its array, and
/// whose second derivative then took three passes more (W8's Hessian-vector product).
///
/// The values are those of that composition, bit for bit: the same softmax, and each
/// element's product, difference and product in the same order. Its own derivatives are
/// written in recorded ops (softmax's), so it is differentiable to any order.
struct CrossEntropyGradient: DifferentiableOperator {
    static let signature = OpSignature(
        name: "cross_entropy_gradient", arity: .exactly(2), inputs: ["logits", "grad"],
        summary: "(softmax(logits) · s − t′) · grad per sample, t′ the weighted, smoothed class-index target",
        pytorch: "torch.ops.aten._log_softmax_backward_data after nll_loss_backward, in terms of the softmax")

    /// The scores' layout (classes on axis 1, or 0 for one sample).
    let layout: ClassScores
    /// Each sample's class, -1 where ignored.
    let classes: [Int]
    /// The class weight, as the op's input held it (converted back exactly).
    let weight: [Double]?
    let labelSmoothing: Double

    init(layout: ClassScores, classes: [Int], weight: [Double]?, labelSmoothing: Double) {
        self.layout = layout
        self.classes = classes
        self.weight = weight
        self.labelSmoothing = labelSmoothing
    }

    init(attributes: Attributes) throws(OpError) {
        throw .attribute(name: "cross_entropy_gradient", detail: "an internal op, not built from attributes")
    }

    var axis: Int { layout.rowShape.isEmpty ? 0 : 1 }

    /// Whether `s` is applied: a class weight, or an ignored sample (whose `s` is 0).
    var scaled: Bool { weight != nil || classes.contains { $0 < 0 } }

    func outputShape(_ inputs: [[Int]]) throws(OpError) -> [Int] {
        let kept = layout.keptShape(inputs[0])
        guard inputs[1].reduce(1, *) == 1 || inputs[1] == kept else {
            throw .shape("cross_entropy_gradient: grad \(Shape.describe(inputs[1])) is neither one value nor \(Shape.describe(kept))")
        }
        return inputs[0]
    }

    /// `t′` (of the scores' count) and `s` (one per sample): cross_entropy's target for
    /// `classes`, weighted and smoothed.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    func target<T: Scalar>(_: T.Type) -> (target: [T], sums: [T]) {
        let c = layout.c, eps = T(labelSmoothing), uniform = T(labelSmoothing) / T(c)
        let weight = weight.map { $0.map { T($0) } }
        var target = [T](repeating: 0, count: layout.samples * c), sums = [T](repeating: 0, count: layout.samples)
        let inner = layout.inner
        for s in 0..<layout.samples {
            let k = classes[s]
            guard k >= 0 else { continue }
            let base = layout.offset(s, 0)
            guard let weight else {
                for j in 0..<c { target[base + j * inner] = uniform }
                target[base + k * inner] = (1 - eps) + uniform
                sums[s] = 1
                continue
            }
            var sum: T = 0
            for j in 0..<c {
                let tj = (j == k ? (1 - eps) * weight[k] : 0) + uniform * weight[j]
                target[base + j * inner] = tj
                sum += tj
            }
            sums[s] = sum
        }
        return (target, sums)
    }

    /// `p · s − t′` for one element, `s` applied only when `scaled`.
    @inline(__always)
    private func difference<T: Scalar>(_ p: T, _ t: T, _ sum: T, scaled: Bool) -> T { (scaled ? p * sum : p) - t }

    /// Calls `body(i, s)` for every element `i` of the scores with its sample `s` (the
    /// sample's first element found once: `offset` divides).
    @inline(__always)
    private func forEachElement(_ body: (Int, Int) -> Void) {
        let inner = layout.inner
        for s in 0..<layout.samples {
            let base = layout.offset(s, 0)
            for j in 0..<layout.c { body(base + j * inner, s) }
        }
    }

    /// The softmax is saved for the vector-Jacobian product (the second pass of a
    /// Hessian-vector product would compute it again).
    static var savesForBackward: Bool { true }

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    func forward<T: Scalar>(_ x: [NDArray<T>], saving needs: [Bool]) -> (NDArray<T>, [NDArray<T>?]) {
        let p = Softmax(axis: axis).forward([x[0]])
        let (t, sums) = target(T.self)
        let scaled = scaled, g = x[1].data, one = x[1].count == 1
        var out = p.data
        forEachElement { i, s in
            out[i] = difference(out[i], t[i], sums[s], scaled: scaled) * g[one ? 0 : s]
        }
        return (NDArray(shape: p.shape, data: out), needs.contains(true) ? [p] : [])
    }

    func forward<T: Scalar>(_ x: [NDArray<T>]) -> NDArray<T> { forward(x, saving: []).0 }

    func vjp<T: Scalar>(
        _ grad: NDArray<T>, inputs x: [NDArray<T>], output: NDArray<T>, needs: [Bool]
    ) -> [NDArray<T>?] {
        vjp(grad, inputs: x, output: output, saved: [], needs: needs)
    }

    // d/dlogits: softmax's vector-Jacobian product of grad · g (· s); d/dg: grad · (p · s −
    // t′), of the scores' shape (the engine sums it down to g's), as the composition's
    // multiply, subtract and softmax gave them. `saved`: the forward pass's softmax,
    // computed again when absent.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    func vjp<T: Scalar>(
        _ grad: NDArray<T>, inputs x: [NDArray<T>], output: NDArray<T>, saved: [NDArray<T>?], needs: [Bool]
    ) -> [NDArray<T>?] {
        let p = saved.first.flatMap { $0.flatMap { $0.shape == x[0].shape ? $0 : nil } }
            ?? Softmax(axis: axis).forward([x[0]])
        let scaled = scaled
        // The target only where it is read: d/dg, and the sums when they scale.
        let (t, sums) = needs[1] || scaled ? target(T.self) : ([], [])
        let g = x[1].data, one = x[1].count == 1, c = grad.data
        var dLogits: NDArray<T>?
        if needs[0] {
            var u = c
            forEachElement { i, s in
                let v = c[i] * g[one ? 0 : s]
                u[i] = scaled ? v * sums[s] : v
            }
            dLogits = Softmax(axis: axis).vjp(NDArray(shape: p.shape, data: u), inputs: [x[0]], output: p, needs: [true])[0]
        }
        var dG: NDArray<T>?
        if needs[1] {
            var d = c
            let pd = p.data
            forEachElement { i, s in d[i] = c[i] * difference(pd[i], t[i], sums[s], scaled: scaled) }
            dG = NDArray(shape: p.shape, data: d)
        }
        return [dLogits, dG]
    }

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    func differentiableVJP<T: Scalar>(
        _ grad: Tensor<T>, inputs x: [Tensor<T>], output: Tensor<T>, needs: [Bool]
    ) throws(OpError) -> [Tensor<T>?] {
        let (t, sums) = target(T.self)
        let scores = x[0].shape
        let kept = layout.keptShape(scores)
        let p = try Tensor.apply(Softmax(axis: axis), [x[0]])
        var result: [Tensor<T>?] = [nil, nil]
        if needs[0] {
            var u = try R.mul(grad, x[1])
            if scaled { u = try R.mul(u, R.constant(sums, shape: kept)) }
            result[0] = try Softmax(axis: axis).differentiableVJP(u, inputs: [x[0]], output: p, needs: [true])[0]
        }
        if needs[1] {
            let scaledP = scaled ? try R.mul(p, R.constant(sums, shape: kept)) : p
            result[1] = try R.mul(grad, R.sub(scaledP, R.constant(t, shape: scores)))
        }
        return result
    }
}

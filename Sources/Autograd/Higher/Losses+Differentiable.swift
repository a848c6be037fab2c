// The losses' differentiable vector-Jacobian products: each first-order formula of the op
// (PyTorch's derivatives.yaml) written again with recorded ops, so that it can be
// differentiated to any order. What a formula only branches on (which side of a kink,
// which class, which samples are ignored) is read from the values and enters as a
// constant, as torch's own double-backward formulas do; everything the gradient depends on
// smoothly stays recorded. The values equal the first-order `vjp`'s up to rounding.

private typealias R = Recorded

extension Reduction {
    /// The recorded upstream gradient of each elementwise loss, broadcasting against the
    /// `count` elementwise losses: `grad` itself for `none` and `sum`, `grad / count` for
    /// `mean`.
    func recordedSpread<T: Scalar>(_ grad: Tensor<T>, count: Int) throws(OpError) -> Tensor<T> {
        self == .mean ? try R.mul(grad, R.constant(1 / T(count))) : grad
    }
}

/// `d` for the input and `−d` for the target, where they need one.
private func inputAndTarget<T: Scalar>(_ d: Tensor<T>, _ needs: [Bool]) throws(OpError) -> [Tensor<T>?] {
    [needs[0] ? d : nil, needs[1] ? try R.neg(d) : nil]
}

/// `sign(v)` as a constant, 0 at 0 (torch's `sgn`).
private func signs<T: Scalar>(_ v: NDArray<T>) -> NDArray<T> { v.map { $0 > 0 ? 1 : ($0 < 0 ? -1 : 0) } }

extension MSELoss: DifferentiableOperator {
    // d/dinput = 2 (input − target) · g.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func differentiableVJP<T: Scalar>(
        _ grad: Tensor<T>, inputs x: [Tensor<T>], output: Tensor<T>, needs: [Bool]
    ) throws(OpError) -> [Tensor<T>?] {
        let g = try reduction.recordedSpread(grad, count: x[0].count)
        return try inputAndTarget(R.mul(R.sub(x[0], x[1]), R.mul(g, R.constant(2))), needs)
    }
}

extension L1Loss: DifferentiableOperator {
    // d/dinput = sign(input − target) · g; the sign is a constant (its derivative is 0).
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func differentiableVJP<T: Scalar>(
        _ grad: Tensor<T>, inputs x: [Tensor<T>], output: Tensor<T>, needs: [Bool]
    ) throws(OpError) -> [Tensor<T>?] {
        let g = try reduction.recordedSpread(grad, count: x[0].count)
        let s = signs(x[0].value.zip(x[1].value) { $0 - $1 })
        return try inputAndTarget(R.mul(R.constant(s), g), needs)
    }
}

extension SmoothL1Loss: DifferentiableOperator {
    // d/dinput = (input − target) / β · g where |input − target| < β, sign(input − target) · g
    // elsewhere (everywhere when β = 0).
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func differentiableVJP<T: Scalar>(
        _ grad: Tensor<T>, inputs x: [Tensor<T>], output: Tensor<T>, needs: [Bool]
    ) throws(OpError) -> [Tensor<T>?] {
        let g = try reduction.recordedSpread(grad, count: x[0].count)
        let e = x[0].value.zip(x[1].value) { $0 - $1 }
        guard beta != 0 else { return try inputAndTarget(R.mul(R.constant(signs(e)), g), needs) }
        let b = T(beta)
        let inside = e.map { $0.magnitude < b ? 1 / b : 0 }
        let outside = e.map { $0.magnitude < b ? 0 : ($0 > 0 ? T(1) : -1) }
        let slope = try R.add(R.mul(R.sub(x[0], x[1]), R.constant(inside)), R.constant(outside))
        return try inputAndTarget(R.mul(slope, g), needs)
    }
}

extension HuberLoss: DifferentiableOperator {
    // d/dinput = clamp(input − target, −δ, δ) · g: (input − target) · g inside, ±δ · g outside.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func differentiableVJP<T: Scalar>(
        _ grad: Tensor<T>, inputs x: [Tensor<T>], output: Tensor<T>, needs: [Bool]
    ) throws(OpError) -> [Tensor<T>?] {
        let g = try reduction.recordedSpread(grad, count: x[0].count)
        let d = T(delta)
        let e = x[0].value.zip(x[1].value) { $0 - $1 }
        let inside = e.map { $0 > -d && $0 < d ? T(1) : 0 }
        let outside = e.map { $0 <= -d ? -d : ($0 >= d ? d : 0) }
        let slope = try R.add(R.mul(R.sub(x[0], x[1]), R.constant(inside)), R.constant(outside))
        return try inputAndTarget(R.mul(slope, g), needs)
    }
}

extension KLDiv: DifferentiableOperator {
    // d/dinput = −target · g (−exp(target) · g with log_target); d/dtarget = (log target + 1 −
    // input) · g (exp(target) · (target − input + 1) · g with log_target).
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func differentiableVJP<T: Scalar>(
        _ grad: Tensor<T>, inputs x: [Tensor<T>], output: Tensor<T>, needs: [Bool]
    ) throws(OpError) -> [Tensor<T>?] {
        let divisor: Int? = switch reduction {
        case .none, .sum: nil
        case .mean: x[0].count
        case .batchmean: x[0].shape.first
        }
        let g = try divisor.map { (n) throws(OpError) in try R.mul(grad, R.constant(1 / T(n))) } ?? grad
        let (input, target) = (x[0], x[1])
        let p = logTarget ? try R.exp(target) : target
        let dInput = needs[0] ? try R.neg(R.mul(p, g)) : nil
        var dTarget: Tensor<T>?
        if needs[1] {
            dTarget = logTarget
                ? try R.mul(R.mul(p, R.add(R.sub(target, input), R.constant(1))), g)
                : try R.mul(R.sub(R.add(R.log(target), R.constant(1)), input), g)
        }
        return [dInput, dTarget]
    }
}

extension BinaryCrossEntropy: DifferentiableOperator {
    // d/dp = g · (p − t) / max((1 − p) · p, ε) (the floor a constant where it applies);
    // d/dt = −log(p / (1 − p)) · g.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func differentiableVJP<T: Scalar>(
        _ grad: Tensor<T>, inputs x: [Tensor<T>], output: Tensor<T>, needs: [Bool]
    ) throws(OpError) -> [Tensor<T>?] {
        let g = try reduction.recordedSpread(grad, count: x[0].count)
        let (p, t) = (x[0], x[1])
        let oneMinusP = try R.sub(R.constant(1), p)
        var dp: Tensor<T>?
        if needs[0] {
            let floor = T(Float(1e-12))  // torch's EPSILON, a C++ float
            var denominator = try R.mul(oneMinusP, p)
            if denominator.value.data.contains(where: { !($0 >= floor) }) {
                let kept = denominator.value.map { $0 >= floor ? T(1) : 0 }
                let floored = denominator.value.map { $0 >= floor ? T(0) : floor }
                denominator = try R.add(R.mul(denominator, R.constant(kept)), R.constant(floored))
            }
            dp = try R.div(R.mul(g, R.sub(p, t)), denominator)
        }
        let dt = needs[1] ? try R.mul(R.neg(R.log(R.div(p, oneMinusP))), g) : nil
        return [dp, dt]
    }
}

extension BinaryCrossEntropyWithLogits: DifferentiableOperator {
    // d/dx = (sigmoid(x) − t) · g; d/dt = −x · g.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func differentiableVJP<T: Scalar>(
        _ grad: Tensor<T>, inputs x: [Tensor<T>], output: Tensor<T>, needs: [Bool]
    ) throws(OpError) -> [Tensor<T>?] {
        let g = try reduction.recordedSpread(grad, count: x[0].count)
        return [
            needs[0] ? try R.mul(R.sub(Tensor.apply(SigmoidOp(), [x[0]]), x[1]), g) : nil,
            needs[1] ? try R.mul(R.neg(x[0]), g) : nil,
        ]
    }
}

/// The class-score losses' shared pieces: the class axis, a per-class vector shaped to
/// broadcast along it, and each sample's upstream gradient shaped to broadcast along it.
extension ClassScores {
    /// The scores' shape with the class axis kept as 1 (`[1]` for one sample `[C]`).
    func keptShape(_ scores: [Int]) -> [Int] { scores.count == 1 ? [1] : Shape.keeping(scores, axis: 1) }

    /// `[C]` values shaped `[1, C, 1, ...]` to broadcast along the class axis.
    func classVector<T: Scalar>(_ v: [T], rank: Int) -> NDArray<T> {
        NDArray(shape: rank == 1 ? [c] : [1, c] + [Int](repeating: 1, count: rank - 2), data: v)
    }

    /// Each sample's recorded upstream gradient in the kept shape (a scalar for `sum` and
    /// `mean`, divided by `denominator` for `mean`).
    func recordedSpread<T: Scalar>(
        _ grad: Tensor<T>, _ reduction: Reduction, scores: [Int], denominator: T
    ) throws(OpError) -> Tensor<T> {
        switch reduction {
        case .none: try R.reshape(grad, keptShape(scores))
        case .sum: grad
        case .mean: try R.mul(grad, R.constant(1 / denominator))
        }
    }
}

extension CrossEntropy: DifferentiableOperator {
    // d/dlogits = (softmax · Σ_c t' − t') · g per sample, t' the weighted, smoothed target
    // (a constant for class indices, recorded for probabilities); d/dtarget =
    // −(1 − ε) · w · log_softmax · g.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func differentiableVJP<T: Scalar>(
        _ grad: Tensor<T>, inputs x: [Tensor<T>], output: Tensor<T>, needs: [Bool]
    ) throws(OpError) -> [Tensor<T>?] {
        var result = x.map { _ -> Tensor<T>? in nil }
        let layout = try ClassScores("cross_entropy", x.map(\.shape), probabilitiesAllowed: true)
        let scores = x[0].shape, rank = scores.count, axis = rank == 1 ? 0 : 1, c = layout.c
        let eps = T(labelSmoothing), uniform = eps / T(c)
        let weight = x.count > 2 ? x[2].value.data : nil
        if layout.indices {
            guard needs[0] else { return result }
            let classes = layout.classes(x[1].value, ignore: ignoreIndex)
            let g = try layout.recordedSpread(
                grad, reduction, scores: scores, denominator: layout.totalWeight(classes, weight))
            // (softmax · s − t′) · g as one op; its derivatives are softmax's.
            let op = CrossEntropyGradient(
                layout: layout, classes: classes, weight: weight.map { $0.map { Double($0) } },
                labelSmoothing: labelSmoothing)
            result[0] = try Tensor.apply(op, [x[0], g])
            return result
        }
        let g = try layout.recordedSpread(grad, reduction, scores: scores, denominator: T(layout.samples))
        let w = weight.map { R.constant(layout.classVector($0, rank: rank)) }
        if needs[0] {
            let smoothed = labelSmoothing != 0
                ? try R.add(R.mul(x[1], R.constant(1 - eps)), R.constant(uniform)) : x[1]
            let target = try w.map { (w) throws(OpError) in try R.mul(smoothed, w) } ?? smoothed
            let sum = try R.sumKeeping(target, axes: [axis])
            let p = try Tensor.apply(Softmax(axis: axis), [x[0]])
            result[0] = try R.mul(R.sub(R.mul(p, sum), target), g)
        }
        if needs[1] {
            let logp = try Tensor.apply(LogSoftmax(axis: axis), [x[0]])
            let weighted = try w.map { (w) throws(OpError) in try R.mul(logp, w) } ?? logp
            result[1] = try R.mul(weighted, R.mul(g, R.constant(-(1 - eps))))
        }
        return result
    }
}

extension NLLLoss: DifferentiableOperator {
    // d/dinput = −w_k · g at each sample's class, 0 elsewhere and for ignored samples: a
    // constant times g, so every higher derivative is 0.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func differentiableVJP<T: Scalar>(
        _ grad: Tensor<T>, inputs x: [Tensor<T>], output: Tensor<T>, needs: [Bool]
    ) throws(OpError) -> [Tensor<T>?] {
        var result = x.map { _ -> Tensor<T>? in nil }
        guard needs[0] else { return result }
        let layout = try ClassScores("nll_loss", x.map(\.shape), probabilitiesAllowed: false)
        let classes = layout.classes(x[1].value, ignore: ignoreIndex)
        let weight = x.count > 2 ? x[2].value.data : nil
        let g = try layout.recordedSpread(
            grad, reduction, scores: x[0].shape, denominator: layout.totalWeight(classes, weight))
        var coefficient = [T](repeating: 0, count: x[0].count)
        for s in 0..<layout.samples where classes[s] >= 0 {
            let k = classes[s]
            coefficient[layout.offset(s, k)] = -(weight?[k] ?? 1)
        }
        result[0] = try R.mul(R.constant(coefficient, shape: x[0].shape), g)
        return result
    }
}

extension CosineSimilarity: DifferentiableOperator {
    // By its decomposition: Σ (a / c_a) · (b / c_b) over the axis, c the norm clamped at eps.
    // The clamp is outside autograd, as in torch: c = ‖a‖ + (max(‖a‖, eps) − ‖a‖) with the
    // bracket a constant, so the gradient flows through the norm, and not at all where the
    // norm is 0 (there ‖a‖ is computed as sqrt(0 + 1) times a constant 0).
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func differentiableVJP<T: Scalar>(
        _ grad: Tensor<T>, inputs x: [Tensor<T>], output: Tensor<T>, needs: [Bool]
    ) throws(OpError) -> [Tensor<T>?] {
        let out = try outputShape(x.map(\.shape))
        let shape = try Shape.broadcastRule(x.map(\.shape))
        let axes: [Int]? = shape.isEmpty ? nil : [try Shape.resolveAxis(axis, rank: shape.count, scalarAllowed: true)]
        let eps = T(self.eps)
        func sumOverAxis(_ t: Tensor<T>) throws(OpError) -> Tensor<T> {
            try Tensor.apply(Sum(axes: axes, keepdims: true), [t])
        }
        func clampedNorm(_ a: Tensor<T>) throws(OpError) -> Tensor<T> {
            let squares = try sumOverAxis(R.mul(a, a))
            guard squares.value.data.contains(where: { !($0.squareRoot() >= eps) }) else { return try R.sqrt(squares) }
            let zero = squares.value.map { $0 == 0 ? T(1) : 0 }
            let norm = try R.sqrt(R.add(squares, R.constant(zero)))
            let kept = zero.map { 1 - $0 }
            let shift = squares.value.map { s -> T in
                let n = s.squareRoot()
                return s == 0 ? eps : (n < eps ? eps - n : 0)
            }
            return try R.add(R.mul(norm, R.constant(kept)), R.constant(shift))
        }
        return try composedVJP(grad, inputs: x, needs: needs) { (v) throws(OpError) in
            let a = try R.broadcast(v[0], shape), b = try R.broadcast(v[1], shape)
            let u = try R.div(a, clampedNorm(a)), w = try R.div(b, clampedNorm(b))
            return try R.reshape(sumOverAxis(R.mul(u, w)), out)
        }
    }
}

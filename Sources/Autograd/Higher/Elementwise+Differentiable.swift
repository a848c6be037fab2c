// The differentiable vector-Jacobian products of the elementwise ops (issue 12): each
// first-order formula restated in recorded ops, in the same order of operations so that
// the create-graph pass's first derivative is the first-order pass's (to the bit where
// the ops are the same IEEE operations), and with the same kink convention, as a mask
// built from the forward values. Formulas follow torch's derivatives.yaml.

private typealias R = RecordedOps

// MARK: the Swift API's scalar arithmetic

extension AddScalar: DifferentiableOperator {
    // d(x + c) = g.
    @usableFromInline func differentiableVJP<T: Scalar>(
        _ grad: Tensor<T>, inputs: [Tensor<T>], output: Tensor<T>, needs: [Bool]
    ) throws(OpError) -> [Tensor<T>?] {
        [needs[0] ? grad : nil]
    }
}

extension MulScalar: DifferentiableOperator {
    // d(x c) = g * c.
    @usableFromInline func differentiableVJP<T: Scalar>(
        _ grad: Tensor<T>, inputs: [Tensor<T>], output: Tensor<T>, needs: [Bool]
    ) throws(OpError) -> [Tensor<T>?] {
        [needs[0] ? try Tensor.apply(self, [grad]) : nil]
    }
}

// MARK: binary

extension Div: DifferentiableOperator {
    // da = g / b; db = -g * (y / b), y = a / b the recorded output (first-order order).
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func differentiableVJP<T: Scalar>(
        _ grad: Tensor<T>, inputs x: [Tensor<T>], output: Tensor<T>, needs: [Bool]
    ) throws(OpError) -> [Tensor<T>?] {
        [needs[0] ? try R.div(grad, x[1]) : nil,
         needs[1] ? try R.mul(R.neg(grad), R.div(output, x[1])) : nil]
    }
}

extension Pow: DifferentiableOperator {
    // torch's pow_backward_self and pow_backward_exponent:
    //   da = b == 0 ? 0 : g * (b * a^(b-1)),  db = (a == 0 && b >= 0) ? 0 : g * (y * log a).
    // The masked-out elements see a harmless operand (a = 1) rather than 0, so that neither
    // a^(b-1) nor log a is infinite there: a selected-out infinity would turn the zero
    // gradient of the next order into 0 * inf = NaN. torch, differentiating through its
    // where, gives NaN at a = 0 for d²(x^0)/dx² (here 0, exact: x^0 is constant) and for
    // ∂²(a^b)/∂a∂b with b >= 1 (here a^(b-1), as pow's own convention makes the exponent's
    // derivative of a^(b-1) zero at a = 0: 0 for b > 1, the limit; 1 at b = 1, where the
    // limit is -inf). Elsewhere the values are torch's.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func differentiableVJP<T: Scalar>(
        _ grad: Tensor<T>, inputs x: [Tensor<T>], output: Tensor<T>, needs: [Bool]
    ) throws(OpError) -> [Tensor<T>?] {
        let a = x[0], b = x[1]
        let av = a.value.broadcast(to: grad.shape), bv = b.value.broadcast(to: grad.shape)
        let one = Tensor(NDArray<T>(scalar: 1))
        // `live` 0 where the gradient is 0 by convention; nil when it is 1 everywhere.
        func masked(_ live: NDArray<T>) -> Tensor<T>? { live.data.contains(0) ? Tensor(live) : nil }
        var da: Tensor<T>?
        if needs[0] {
            let live = masked(bv.map { $0 == 0 ? 0 : 1 })
            let safeA = try live.map { (m) throws(OpError) in try R.select(m, a, otherwise: one) } ?? a
            let power = try Tensor.apply(Pow(), [safeA, try R.shift(b, -1)])
            let d = try R.mul(grad, try R.mul(b, power))
            da = try live.map { (m) throws(OpError) in try R.select(m, d) } ?? d
        }
        var db: Tensor<T>?
        if needs[1] {
            let live = masked(av.zip(bv) { a, b in a == 0 && b >= 0 ? 0 : 1 })
            let safeA = try live.map { (m) throws(OpError) in try R.select(m, a, otherwise: one) } ?? a
            let d = try R.mul(output, try R.unary(Log(), safeA))
            db = try R.mul(grad, try live.map { (m) throws(OpError) in try R.select(m, d) } ?? d)
        }
        return [da, db]
    }
}

extension Maximum: DifferentiableOperator {
    // The gradient goes to the larger input, a tie splits it, NaN gives g to both.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func differentiableVJP<T: Scalar>(
        _ grad: Tensor<T>, inputs x: [Tensor<T>], output: Tensor<T>, needs: [Bool]
    ) throws(OpError) -> [Tensor<T>?] {
        try extremumVJP(grad, x, needs: needs, loses: { $0 < $1 })
    }
}

extension Minimum: DifferentiableOperator {
    // As maximum, with the smaller input taking the gradient.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func differentiableVJP<T: Scalar>(
        _ grad: Tensor<T>, inputs x: [Tensor<T>], output: Tensor<T>, needs: [Bool]
    ) throws(OpError) -> [Tensor<T>?] {
        try extremumVJP(grad, x, needs: needs, loses: { $0 > $1 })
    }
}

/// maximum / minimum's gradients: `g` for the winner, `0` for the loser (`loses(a, b)`
/// says when `a` loses to `b`), `g * 0.5` (= g / 2 exactly) at a tie, `g` at NaN; a
/// selection, so a loser gets +0 as in the first-order pass, never -0 or NaN.
private func extremumVJP<T: Scalar>(
    _ grad: Tensor<T>, _ x: [Tensor<T>], needs: [Bool], loses: @escaping (T, T) -> Bool
) throws(OpError) -> [Tensor<T>?] {
    let a = x[0].value.broadcast(to: grad.shape), b = x[1].value.broadcast(to: grad.shape)
    func share(_ p: NDArray<T>, _ q: NDArray<T>) throws(OpError) -> Tensor<T> {
        let takes = Tensor(p.zip(q) { p, q in p == q || !loses(p, q) ? 1 : 0 })
        let ties = p.zip(q) { $0 == $1 ? 1 : 0 }
        let g = ties.data.contains(1) ? try R.mul(grad, Tensor(ties.map { $0 == 1 ? 0.5 : 1 })) : grad
        return try R.select(takes, g)
    }
    return [needs[0] ? try share(a, b) : nil, needs[1] ? try share(b, a) : nil]
}

extension Where: DifferentiableOperator {
    // torch: grad_a = where(condition, grad, 0), grad_b = where(condition, 0, grad); the
    // condition gets none.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func differentiableVJP<T: Scalar>(
        _ grad: Tensor<T>, inputs x: [Tensor<T>], output: Tensor<T>, needs: [Bool]
    ) throws(OpError) -> [Tensor<T>?] {
        let condition = x[0], zero = Tensor(NDArray<T>(scalar: 0))
        return [
            nil,
            needs[1] ? try R.select(condition, grad, otherwise: zero) : nil,
            needs[2] ? try R.select(condition, zero, otherwise: grad) : nil,
        ]
    }
}

// Comparisons have a zero gradient everywhere (nil: nothing flows back).
extension Comparison {
    /// No gradient for either input: a comparison's output is piecewise constant, so its
    /// derivative is zero wherever it is defined, at every order.
    public func differentiableVJP<T: Scalar>(
        _ grad: Tensor<T>, inputs: [Tensor<T>], output: Tensor<T>, needs: [Bool]
    ) throws(OpError) -> [Tensor<T>?] {
        [nil, nil]
    }
}

extension Greater: DifferentiableOperator {}
extension GreaterEqual: DifferentiableOperator {}
extension Less: DifferentiableOperator {}
extension LessEqual: DifferentiableOperator {}
extension Equal: DifferentiableOperator {}
extension NotEqual: DifferentiableOperator {}

// MARK: unary

extension Exp: DifferentiableOperator {
    // g * y.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func differentiableVJP<T: Scalar>(
        _ grad: Tensor<T>, inputs x: [Tensor<T>], output: Tensor<T>, needs: [Bool]
    ) throws(OpError) -> [Tensor<T>?] {
        [needs[0] ? try R.mul(grad, output) : nil]
    }
}

extension Log: DifferentiableOperator {
    // g / x.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func differentiableVJP<T: Scalar>(
        _ grad: Tensor<T>, inputs x: [Tensor<T>], output: Tensor<T>, needs: [Bool]
    ) throws(OpError) -> [Tensor<T>?] {
        [needs[0] ? try R.div(grad, x[0]) : nil]
    }
}

extension Sqrt: DifferentiableOperator {
    // g / (2 y).
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func differentiableVJP<T: Scalar>(
        _ grad: Tensor<T>, inputs x: [Tensor<T>], output: Tensor<T>, needs: [Bool]
    ) throws(OpError) -> [Tensor<T>?] {
        [needs[0] ? try R.div(grad, R.scale(output, 2)) : nil]
    }
}

extension Rsqrt: DifferentiableOperator {
    // -0.5 * g * y³, as ((-0.5 g) (y y y)).
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func differentiableVJP<T: Scalar>(
        _ grad: Tensor<T>, inputs x: [Tensor<T>], output y: Tensor<T>, needs: [Bool]
    ) throws(OpError) -> [Tensor<T>?] {
        [needs[0] ? try R.mul(R.scale(grad, -0.5), R.mul(R.mul(y, y), y)) : nil]
    }
}

extension Square: DifferentiableOperator {
    // g * (2 x).
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func differentiableVJP<T: Scalar>(
        _ grad: Tensor<T>, inputs x: [Tensor<T>], output: Tensor<T>, needs: [Bool]
    ) throws(OpError) -> [Tensor<T>?] {
        [needs[0] ? try R.mul(grad, R.scale(x[0], 2)) : nil]
    }
}

extension Abs: DifferentiableOperator {
    // g * sign(x), sign 0 at 0 and NaN (torch's sgn); the sign is a constant.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func differentiableVJP<T: Scalar>(
        _ grad: Tensor<T>, inputs x: [Tensor<T>], output: Tensor<T>, needs: [Bool]
    ) throws(OpError) -> [Tensor<T>?] {
        [needs[0] ? try R.mul(grad, R.constant(x[0]) { $0 > 0 ? 1 : $0 < 0 ? -1 : 0 }) : nil]
    }
}

extension Sign: DifferentiableOperator {
    // Zero everywhere.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func differentiableVJP<T: Scalar>(
        _ grad: Tensor<T>, inputs x: [Tensor<T>], output: Tensor<T>, needs: [Bool]
    ) throws(OpError) -> [Tensor<T>?] {
        [nil]
    }
}

extension ReLUOp: DifferentiableOperator {
    // g where y > 0, else 0 (0 at 0; g at NaN, as `y <= 0` is false): threshold_backward.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func differentiableVJP<T: Scalar>(
        _ grad: Tensor<T>, inputs x: [Tensor<T>], output: Tensor<T>, needs: [Bool]
    ) throws(OpError) -> [Tensor<T>?] {
        [needs[0] ? try Tensor.apply(ReLUBackward(), [grad, output]) : nil]
    }
}

extension LeakyReLUOp: DifferentiableOperator {
    // g * (x > 0 ? 1 : slope), the slope at 0.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func differentiableVJP<T: Scalar>(
        _ grad: Tensor<T>, inputs x: [Tensor<T>], output: Tensor<T>, needs: [Bool]
    ) throws(OpError) -> [Tensor<T>?] {
        let slope = T(negativeSlope)
        return [needs[0] ? try R.mul(grad, R.constant(x[0]) { $0 > 0 ? 1 : slope }) : nil]
    }
}

extension Clamp: DifferentiableOperator {
    // g strictly inside the bounds, 0 on them, outside and at NaN.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func differentiableVJP<T: Scalar>(
        _ grad: Tensor<T>, inputs x: [Tensor<T>], output: Tensor<T>, needs: [Bool]
    ) throws(OpError) -> [Tensor<T>?] {
        guard needs[0] else { return [nil] }
        let lo = min.map { T($0) }, hi = max.map { T($0) }
        let inside = R.mask(x[0]) { v in (lo.map { v > $0 } ?? true) && (hi.map { v < $0 } ?? true) }
        return [try R.select(inside, grad)]
    }
}

extension TanhOp: DifferentiableOperator {
    // g * (1 - y²).
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func differentiableVJP<T: Scalar>(
        _ grad: Tensor<T>, inputs x: [Tensor<T>], output y: Tensor<T>, needs: [Bool]
    ) throws(OpError) -> [Tensor<T>?] {
        [needs[0] ? try R.mul(grad, R.oneMinus(R.mul(y, y))) : nil]
    }
}

extension SigmoidOp: DifferentiableOperator {
    // g * (1 - y) * y, in sigmoid_backward's order.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func differentiableVJP<T: Scalar>(
        _ grad: Tensor<T>, inputs x: [Tensor<T>], output y: Tensor<T>, needs: [Bool]
    ) throws(OpError) -> [Tensor<T>?] {
        [needs[0] ? try R.mul(R.mul(grad, R.oneMinus(y)), y) : nil]
    }
}

extension SoftplusOp: DifferentiableOperator {
    // g * sigmoid(x), and g above the threshold 20 (where softplus is x). Differentiated
    // again, sigmoid's x counts only strictly below the threshold: torch's
    // softplus_double_backward masks with `x < threshold`, so at exactly 20 the first
    // derivative is σ(20) and the second 0. The value is σ(x) at every x either way.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func differentiableVJP<T: Scalar>(
        _ grad: Tensor<T>, inputs x: [Tensor<T>], output: Tensor<T>, needs: [Bool]
    ) throws(OpError) -> [Tensor<T>?] {
        guard needs[0] else { return [nil] }
        let threshold = T(Self.threshold)
        let linear = R.mask(x[0]) { $0 > threshold }
        let below = try R.select(R.mask(x[0]) { $0 < threshold }, x[0], otherwise: x[0].detach())
        return [try R.select(linear, grad, otherwise: try R.mul(grad, R.unary(SigmoidOp(), below)))]
    }
}

extension SiLU: DifferentiableOperator {
    // silu_backward: g * s * (1 + x (1 - s)), s = sigmoid(x).
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func differentiableVJP<T: Scalar>(
        _ grad: Tensor<T>, inputs x: [Tensor<T>], output: Tensor<T>, needs: [Bool]
    ) throws(OpError) -> [Tensor<T>?] {
        guard needs[0] else { return [nil] }
        let s = try R.unary(SigmoidOp(), x[0])
        return [try R.mul(R.mul(grad, s), R.shift(R.mul(x[0], R.oneMinus(s)), 1))]
    }
}

extension ELU: DifferentiableOperator {
    // elu_backward: g * alpha * exp(x) where x <= 0 (alpha at 0), else g (and at NaN).
    // Differentiated again, exp's x counts only where x < 0, as torch's
    // elu_double_backward (`self < 0`): at 0 the first derivative is alpha, the second 0.
    // Elsewhere exp is taken of 0, so it never overflows in the branch not selected (a
    // NaN in the next order's gradient otherwise).
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func differentiableVJP<T: Scalar>(
        _ grad: Tensor<T>, inputs x: [Tensor<T>], output: Tensor<T>, needs: [Bool]
    ) throws(OpError) -> [Tensor<T>?] {
        guard needs[0] else { return [nil] }
        let negative = R.mask(x[0]) { $0 <= 0 }
        let atZero = R.constant(x[0]) { $0 <= 0 ? $0 : 0 }
        let e = try R.unary(Exp(), try R.select(R.mask(x[0]) { $0 < 0 }, x[0], otherwise: atZero))
        return [try R.select(negative, try R.mul(R.scale(grad, alpha), e), otherwise: grad)]
    }
}

extension Sin: DifferentiableOperator {
    // g * cos(x).
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func differentiableVJP<T: Scalar>(
        _ grad: Tensor<T>, inputs x: [Tensor<T>], output: Tensor<T>, needs: [Bool]
    ) throws(OpError) -> [Tensor<T>?] {
        [needs[0] ? try R.mul(grad, R.unary(Cos(), x[0])) : nil]
    }
}

extension Cos: DifferentiableOperator {
    // g * -sin(x).
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func differentiableVJP<T: Scalar>(
        _ grad: Tensor<T>, inputs x: [Tensor<T>], output: Tensor<T>, needs: [Bool]
    ) throws(OpError) -> [Tensor<T>?] {
        [needs[0] ? try R.mul(grad, R.neg(R.unary(Sin(), x[0]))) : nil]
    }
}

extension Erf: DifferentiableOperator {
    // 2/√π * exp(-x²) * g.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func differentiableVJP<T: Scalar>(
        _ grad: Tensor<T>, inputs x: [Tensor<T>], output: Tensor<T>, needs: [Bool]
    ) throws(OpError) -> [Tensor<T>?] {
        guard needs[0] else { return [nil] }
        let e = try R.unary(Exp(), R.neg(R.unary(Square(), x[0])))
        return [try R.mul(R.scale(e, 1.1283791670955126), grad)]  // M_2_SQRTPI
    }
}

extension Log1p: DifferentiableOperator {
    // g / (x + 1).
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func differentiableVJP<T: Scalar>(
        _ grad: Tensor<T>, inputs x: [Tensor<T>], output: Tensor<T>, needs: [Bool]
    ) throws(OpError) -> [Tensor<T>?] {
        [needs[0] ? try R.div(grad, R.shift(x[0], 1)) : nil]
    }
}

extension Expm1: DifferentiableOperator {
    // g * (y + 1).
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func differentiableVJP<T: Scalar>(
        _ grad: Tensor<T>, inputs x: [Tensor<T>], output: Tensor<T>, needs: [Bool]
    ) throws(OpError) -> [Tensor<T>?] {
        [needs[0] ? try R.mul(grad, R.shift(output, 1)) : nil]
    }
}

extension GELUOp: DifferentiableOperator {
    // Exact: g * (Φ(x) + x φ(x)), Φ(x) = (1 + erf(x/√2)) / 2, φ(x) = e^(-x²/2) / √(2π).
    // Tanh: g * (0.5 (1 + t) + 0.5 x (1 - t²) β (1 + 3κx²)), t = tanh(β (x + κx³)),
    // β = √(2/π), κ = 0.044715: the product rule of torch's GeluKernel backward.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func differentiableVJP<T: Scalar>(
        _ grad: Tensor<T>, inputs x: [Tensor<T>], output: Tensor<T>, needs: [Bool]
    ) throws(OpError) -> [Tensor<T>?] {
        guard needs[0] else { return [nil] }
        let v = x[0]
        let x2 = try R.unary(Square(), v)
        let slope: Tensor<T>
        switch approximate {
        case .none:
            let cdf = try R.scale(R.shift(R.unary(Erf(), R.scale(v, 0.7071067811865476)), 1), 0.5)  // M_SQRT1_2
            let pdf = try R.scale(R.unary(Exp(), R.scale(x2, -0.5)), 0.3989422804014327)  // 1/√(2π)
            slope = try R.add(cdf, R.mul(v, pdf))
        case .tanh:
            let beta = 1.4142135623730951 * 1.1283791670955126 * 0.5, kappa = 0.044715
            let inner = try R.scale(R.add(v, R.scale(R.mul(x2, v), kappa)), beta)
            let t = try R.unary(TanhOp(), inner)
            let innerDerivative = try R.scale(R.shift(R.scale(x2, 3 * kappa), 1), beta)
            let left = try R.scale(v, 0.5), right = try R.shift(t, 1)
            slope = try R.add(
                R.scale(right, 0.5), R.mul(R.mul(left, R.oneMinus(R.mul(t, t))), innerDerivative))
        }
        return [try R.mul(grad, slope)]
    }
}

// The differentiable vector-Jacobian products of the reductions beyond sum: mean, amax,
// amin, var, std, norm, cumsum, and argmax / argmin (no gradient). Formulas follow
// torch's derivatives.yaml and the first-order `vjp` of each op, operation for
// operation, so a gradient computed this way has the same values as `backward()`'s.
//
// Masks (which elements are tied for an extremum, where a norm is 0) are constants built
// from the forward values with the first-order `vjp`'s test: a comparison's derivative is
// zero wherever it is defined, which is what differentiating through it would give.

extension Mean: DifferentiableOperator {
    // g / N, in the kept shape, broadcast over the reduced axes.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func differentiableVJP<T: Scalar>(
        _ grad: Tensor<T>, inputs x: [Tensor<T>], output: Tensor<T>, needs: [Bool]
    ) throws(OpError) -> [Tensor<T>?] {
        guard needs[0] else { return [nil] }
        let r = try reduced(x[0].shape)
        let share = try Tensor.apply(Div(), [try Adjoint.reshape(grad, r.keptShape), Adjoint.constant(T(r.groupSize))])
        return [try Adjoint.broadcast(share, to: x[0].shape)]
    }
}

extension Amax: DifferentiableOperator {
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func differentiableVJP<T: Scalar>(
        _ grad: Tensor<T>, inputs x: [Tensor<T>], output: Tensor<T>, needs: [Bool]
    ) throws(OpError) -> [Tensor<T>?] {
        guard needs[0] else { return [nil] }
        return [try Adjoint.extremum(grad, x: x[0], extremum: output, reduced: try reduced(x[0].shape))]
    }
}

extension Amin: DifferentiableOperator {
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func differentiableVJP<T: Scalar>(
        _ grad: Tensor<T>, inputs x: [Tensor<T>], output: Tensor<T>, needs: [Bool]
    ) throws(OpError) -> [Tensor<T>?] {
        guard needs[0] else { return [nil] }
        return [try Adjoint.extremum(grad, x: x[0], extremum: output, reduced: try reduced(x[0].shape))]
    }
}

extension Var: DifferentiableOperator {
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func differentiableVJP<T: Scalar>(
        _ grad: Tensor<T>, inputs x: [Tensor<T>], output: Tensor<T>, needs: [Bool]
    ) throws(OpError) -> [Tensor<T>?] {
        guard needs[0] else { return [nil] }
        return [try varianceAdjoint(grad, x[0], try reduced(x[0].shape))]
    }
}

extension Std: DifferentiableOperator {
    // torch's std_backward: var's gradient for g / (2 std), 0 where std is 0 (std itself
    // recorded, so the second derivative goes through it).
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func differentiableVJP<T: Scalar>(
        _ grad: Tensor<T>, inputs x: [Tensor<T>], output: Tensor<T>, needs: [Bool]
    ) throws(OpError) -> [Tensor<T>?] {
        guard needs[0] else { return [nil] }
        let r = try reduced(x[0].shape)
        let twice = try Tensor.apply(Mul(), [output, Adjoint.constant(T(2))])
        let g = try Adjoint.divide(grad, by: twice, zeroWhere: output.value)
        return [try varianceAdjoint(g, x[0], r)]
    }
}

extension VarianceReduction {
    /// torch's var_backward with `grad` of the output's shape: `2 / (N - correction) * g *
    /// (x - mean)`, the mean recorded; over all axes with no degree of freedom left,
    /// g * (x == mean ? NaN : inf), as the first-order `vjp`.
    func varianceAdjoint<T: Scalar>(_ grad: Tensor<T>, _ x: Tensor<T>, _ r: ReducedAxes) throws(OpError) -> Tensor<T> {
        let g = try Adjoint.reshape(grad, r.keptShape)
        let dof = Double(r.groupSize) - correction
        if axes == nil || x.rank == 0, dof <= 0 {
            let n = T(r.groupSize)
            let mean = x.value.sum(to: r.keptShape).map { $0 / n }
            let factor = NDArray.broadcast(x.value, mean, to: x.shape) { x, m in x == m ? T.nan : T.infinity }
            return try Tensor.apply(Mul(), [g, Tensor(factor)])
        }
        let mean = try Tensor.apply(Mean(axes: r.axes, keepdims: true), [x])
        let deviation = try Tensor.apply(Sub(), [x, mean])
        let scaled = try Tensor.apply(Mul(), [Adjoint.constant(T(2 / dof)), g])
        return try Tensor.apply(Mul(), [scaled, deviation])
    }
}

extension Norm: DifferentiableOperator {
    // torch's norm_backward. 2: x * (g / norm), 0 where the norm is 0, the norm recorded;
    // 1: sgn(x) * g; inf: sgn(x) * g / (count of |x| equal to the norm) on those elements,
    // the sign and the tie mask constant.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func differentiableVJP<T: Scalar>(
        _ grad: Tensor<T>, inputs x: [Tensor<T>], output: Tensor<T>, needs: [Bool]
    ) throws(OpError) -> [Tensor<T>?] {
        guard needs[0] else { return [nil] }
        let r = try ReducedAxes(shape: x[0].shape, axes: axes, keepdims: keepdims)
        let g = try Adjoint.reshape(grad, r.keptShape)
        let shape = x[0].shape
        switch ord {
        case .two:
            let norm = try Adjoint.reshape(output, r.keptShape)
            let scale = try Adjoint.divide(g, by: norm, zeroWhere: norm.value)
            return [try Tensor.apply(Mul(), [x[0], scale])]
        case .one:
            return [try Tensor.apply(Mul(), [Tensor(x[0].value.map { Self.sgn($0) }), g])]
        case .infinity:
            let norm = output.value.reshaped(r.keptShape)
            let mask = NDArray.broadcast(x[0].value, norm, to: shape) { x, n in x.magnitude == n || x.isNaN ? 1 : 0 }
            let share = try Tensor.apply(Div(), [g, Tensor(mask.sum(to: r.keptShape))])
            let signedMask = x[0].value.zip(mask) { Self.sgn($0) * $1 }
            return [try Tensor.apply(Mul(), [Tensor(signedMask), share])]
        }
    }
}

extension Cumsum: DifferentiableOperator {
    // The running sum of g from the end: flip, cumsum, flip (the same additions in the
    // same order as the first-order kernel's).
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func differentiableVJP<T: Scalar>(
        _ grad: Tensor<T>, inputs x: [Tensor<T>], output: Tensor<T>, needs: [Bool]
    ) throws(OpError) -> [Tensor<T>?] {
        guard needs[0] else { return [nil] }
        guard grad.rank > 0 else { return [grad] }
        let a = try Shape.resolveAxis(axis, rank: grad.rank)
        let flipped = try Tensor.apply(Flip(axes: [a]), [grad])
        let summed = try Tensor.apply(Cumsum(axis: a), [flipped])
        return [try Tensor.apply(Flip(axes: [a]), [summed])]
    }
}

extension IndexReduction {
    /// No gradient for the input: an index is piecewise constant (torch: argmax is not
    /// differentiable; here its gradient is 0), at every order.
    public func differentiableVJP<T: Scalar>(
        _ grad: Tensor<T>, inputs x: [Tensor<T>], output: Tensor<T>, needs: [Bool]
    ) throws(OpError) -> [Tensor<T>?] {
        [nil]
    }
}

extension ArgMax: DifferentiableOperator {}
extension ArgMin: DifferentiableOperator {}

extension Adjoint {
    /// A 0-d constant.
    @inline(__always)
    static func constant<T: Scalar>(_ value: T) -> Tensor<T> { Tensor(NDArray(scalar: value)) }

    /// `t` broadcast to `shape`, recorded; `t` itself when it already has it.
    @inline(__always)
    static func broadcast<T: Scalar>(_ t: Tensor<T>, to shape: [Int]) throws(OpError) -> Tensor<T> {
        t.shape == shape ? t : try Tensor.apply(BroadcastTo(shape: shape), [t])
    }

    /// `a / b`, and 0 where `zero` (of `b`'s shape, `b`'s forward value) is 0, without a
    /// division by zero on the recorded path: there the denominator is shifted by a
    /// constant 1 and the quotient multiplied by a constant 0. Nothing is added when no
    /// element is 0 (the usual case).
    static func divide<T: Scalar>(_ a: Tensor<T>, by b: Tensor<T>, zeroWhere zero: NDArray<T>) throws(OpError) -> Tensor<T> {
        guard zero.data.contains(0) else { return try Tensor.apply(Div(), [a, b]) }
        let shifted = try Tensor.apply(Add(), [b, Tensor(zero.map { $0 == 0 ? 1 : 0 })])
        let quotient = try Tensor.apply(Div(), [a, shifted])
        return try Tensor.apply(Mul(), [quotient, Tensor(zero.map { $0 == 0 ? 0 : 1 })])
    }

    /// torch.amax's backward for amax and amin: each element equal to its group's
    /// extremum gets g / (number of such elements), the rest 0; the mask and the count
    /// are constants (a NaN extremum matches nothing: g / 0 * 0 = NaN, as the first order).
    static func extremum<T: Scalar>(
        _ grad: Tensor<T>, x: Tensor<T>, extremum: Tensor<T>, reduced r: ReducedAxes
    ) throws(OpError) -> Tensor<T> {
        let e = extremum.value.reshaped(r.keptShape)
        let mask = NDArray.broadcast(x.value, e, to: x.shape) { $0 == $1 ? 1 : 0 }
        let share = try Tensor.apply(Div(), [try reshape(grad, r.keptShape), Tensor(mask.sum(to: r.keptShape))])
        return try Tensor.apply(Mul(), [Tensor(mask), share])
    }
}

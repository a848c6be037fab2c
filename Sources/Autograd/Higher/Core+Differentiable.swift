// The differentiable vector-Jacobian products of the ops the create-graph pass itself
// uses (accumulating, un-broadcasting, seeding): add, sub, neg, mul, sum, broadcast_to,
// reshape. Every other op's formula is written in terms of these and its own family's.

extension Add: DifferentiableOperator {
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func differentiableVJP<T: Scalar>(
        _ grad: Tensor<T>, inputs: [Tensor<T>], output: Tensor<T>, needs: [Bool]
    ) throws(OpError) -> [Tensor<T>?] {
        [needs[0] ? grad : nil, needs[1] ? grad : nil]
    }
}

extension Sub: DifferentiableOperator {
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func differentiableVJP<T: Scalar>(
        _ grad: Tensor<T>, inputs: [Tensor<T>], output: Tensor<T>, needs: [Bool]
    ) throws(OpError) -> [Tensor<T>?] {
        [needs[0] ? grad : nil, needs[1] ? try Tensor.apply(Neg(), [grad]) : nil]
    }
}

extension Neg: DifferentiableOperator {
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func differentiableVJP<T: Scalar>(
        _ grad: Tensor<T>, inputs: [Tensor<T>], output: Tensor<T>, needs: [Bool]
    ) throws(OpError) -> [Tensor<T>?] {
        [needs[0] ? try Tensor.apply(Neg(), [grad]) : nil]
    }
}

extension Mul: DifferentiableOperator {
    // da = g * b, db = g * a (in the output's shape; the engine sums them back).
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func differentiableVJP<T: Scalar>(
        _ grad: Tensor<T>, inputs x: [Tensor<T>], output: Tensor<T>, needs: [Bool]
    ) throws(OpError) -> [Tensor<T>?] {
        [needs[0] ? try Tensor.apply(Mul(), [grad, x[1]]) : nil,
         needs[1] ? try Tensor.apply(Mul(), [grad, x[0]]) : nil]
    }
}

extension Sum: DifferentiableOperator {
    // Every summed element receives the output's gradient: back to the kept shape, then
    // broadcast over the reduced axes.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func differentiableVJP<T: Scalar>(
        _ grad: Tensor<T>, inputs x: [Tensor<T>], output: Tensor<T>, needs: [Bool]
    ) throws(OpError) -> [Tensor<T>?] {
        guard needs[0] else { return [nil] }
        let r = try reduced(x[0].shape)
        let kept = grad.shape == r.keptShape ? grad : try Tensor.apply(Reshape(shape: r.keptShape), [grad])
        return [try Tensor.apply(BroadcastTo(shape: x[0].shape), [kept])]
    }
}

extension BroadcastTo: DifferentiableOperator {
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func differentiableVJP<T: Scalar>(
        _ grad: Tensor<T>, inputs x: [Tensor<T>], output: Tensor<T>, needs: [Bool]
    ) throws(OpError) -> [Tensor<T>?] {
        [needs[0] ? try Tensor.apply(SumTo(shape: x[0].shape), [grad]) : nil]
    }
}

extension Reshape: DifferentiableOperator {
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func differentiableVJP<T: Scalar>(
        _ grad: Tensor<T>, inputs x: [Tensor<T>], output: Tensor<T>, needs: [Bool]
    ) throws(OpError) -> [Tensor<T>?] {
        [needs[0] ? try Tensor.apply(Reshape(shape: x[0].shape), [grad]) : nil]
    }
}

// The differentiable vector-Jacobian products of softmax, log_softmax and logsumexp:
// elementwise ops and a sum over the axis, in terms of the recorded output (torch's
// _softmax_backward_data, _log_softmax_backward_data and logsumexp_backward).

private typealias R = RecordedOps

extension Softmax: DifferentiableOperator {
    // dx = (g - sum(g * y, axis, keepdims)) * y.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func differentiableVJP<T: Scalar>(
        _ grad: Tensor<T>, inputs x: [Tensor<T>], output y: Tensor<T>, needs: [Bool]
    ) throws(OpError) -> [Tensor<T>?] {
        guard needs[0] else { return [nil] }
        let a = try Shape.resolveAxis(axis, rank: y.rank, scalarAllowed: true)
        let s = try Tensor.apply(SumTo(shape: Shape.keeping(y.shape, axis: a)), [try R.mul(grad, y)])
        return [try R.mul(R.sub(grad, s), y)]
    }
}

extension LogSoftmax: DifferentiableOperator {
    // dx = g - exp(y) * sum(g, axis, keepdims), exp(y) being the softmax.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func differentiableVJP<T: Scalar>(
        _ grad: Tensor<T>, inputs x: [Tensor<T>], output y: Tensor<T>, needs: [Bool]
    ) throws(OpError) -> [Tensor<T>?] {
        guard needs[0] else { return [nil] }
        let a = try Shape.resolveAxis(axis, rank: y.rank, scalarAllowed: true)
        let s = try Tensor.apply(SumTo(shape: Shape.keeping(y.shape, axis: a)), [grad])
        return [try R.sub(grad, R.mul(R.unary(Exp(), y), s))]
    }
}

extension LogSumExp: DifferentiableOperator {
    // dx = g * exp(x - y), with g and y back in the kept shape (the reduced axes as 1).
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func differentiableVJP<T: Scalar>(
        _ grad: Tensor<T>, inputs x: [Tensor<T>], output y: Tensor<T>, needs: [Bool]
    ) throws(OpError) -> [Tensor<T>?] {
        guard needs[0] else { return [nil] }
        let kept = try reduced(x[0].shape).keptShape
        func keep(_ t: Tensor<T>) throws(OpError) -> Tensor<T> {
            t.shape == kept ? t : try Tensor.apply(Reshape(shape: kept), [t])
        }
        let e = try R.unary(Exp(), R.sub(x[0], keep(y)))
        return [try R.mul(keep(grad), e)]
    }
}

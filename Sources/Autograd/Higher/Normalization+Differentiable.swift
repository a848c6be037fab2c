// The normalisations' differentiable vector-Jacobian products, by their decompositions
// (`composedVJP`): each forward written again as mean, sub, mul, rsqrt, reshape and add,
// whose reverse pass gives the same gradient as the op's hand kernel, recorded. The
// first-order path keeps the hand kernels.

private typealias R = Recorded

/// `(x − mean) · rsqrt(var + eps)` over `axes`, the variance biased; or, without
/// centring, `x · rsqrt(mean(x²) + eps)`.
private func normalized<T: Scalar>(
    _ x: Tensor<T>, axes: [Int], eps: T, center: Bool = true
) throws(OpError) -> Tensor<T> {
    let xc = center ? try R.sub(x, R.meanKeeping(x, axes: axes)) : x
    let variance = try R.meanKeeping(R.mul(xc, xc), axes: axes)
    return try R.mul(xc, R.rsqrt(R.add(variance, R.constant(eps))))
}

/// `y · weight + bias`, each present one reshaped to `shape` first.
private func affine<T: Scalar>(
    _ y: Tensor<T>, _ inputs: [Tensor<T>], from first: Int, shape: [Int]
) throws(OpError) -> Tensor<T> {
    var y = y
    if inputs.count > first { y = try R.mul(y, R.reshape(inputs[first], shape)) }
    if inputs.count > first + 1 { y = try R.add(y, R.reshape(inputs[first + 1], shape)) }
    return y
}

extension LayerNormOp: DifferentiableOperator {
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func differentiableVJP<T: Scalar>(
        _ grad: Tensor<T>, inputs x: [Tensor<T>], output: Tensor<T>, needs: [Bool]
    ) throws(OpError) -> [Tensor<T>?] {
        _ = try outputShape(x.map(\.shape))
        let rank = x[0].rank, axes = Array((rank - normalizedShape.count)..<rank)
        return try composedVJP(grad, inputs: x, needs: needs) { (v) throws(OpError) in
            try affine(normalized(v[0], axes: axes, eps: T(eps)), v, from: 1, shape: normalizedShape)
        }
    }
}

extension RMSNormOp: DifferentiableOperator {
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func differentiableVJP<T: Scalar>(
        _ grad: Tensor<T>, inputs x: [Tensor<T>], output: Tensor<T>, needs: [Bool]
    ) throws(OpError) -> [Tensor<T>?] {
        _ = try outputShape(x.map(\.shape))
        let rank = x[0].rank, axes = Array((rank - normalizedShape.count)..<rank)
        let e = eps.map { T($0) } ?? T.ulpOfOne
        return try composedVJP(grad, inputs: x, needs: needs) { (v) throws(OpError) in
            try affine(normalized(v[0], axes: axes, eps: e, center: false), v, from: 1, shape: normalizedShape)
        }
    }
}

extension GroupNormOp: DifferentiableOperator {
    // x [N, C, *] seen as [N, G, C/G · *], normalised over its last axis.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func differentiableVJP<T: Scalar>(
        _ grad: Tensor<T>, inputs x: [Tensor<T>], output: Tensor<T>, needs: [Bool]
    ) throws(OpError) -> [Tensor<T>?] {
        _ = try outputShape(x.map(\.shape))
        let shape = x[0].shape
        let grouped = [shape[0], numGroups, shape.dropFirst().reduce(1, *) / numGroups]
        let channels = [1, shape[1]] + [Int](repeating: 1, count: shape.count - 2)
        return try composedVJP(grad, inputs: x, needs: needs) { (v) throws(OpError) in
            let y = try normalized(R.reshape(v[0], grouped), axes: [2], eps: T(eps))
            return try affine(R.reshape(y, shape), v, from: 1, shape: channels)
        }
    }
}

extension BatchNormOp: DifferentiableOperator {
    // Training (3 inputs): normalised per channel over N and the positions, by the biased
    // batch variance. Inference (5): (x − running_mean) · rsqrt(running_var + eps), every
    // input differentiated, as the first-order vjp does.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func differentiableVJP<T: Scalar>(
        _ grad: Tensor<T>, inputs x: [Tensor<T>], output: Tensor<T>, needs: [Bool]
    ) throws(OpError) -> [Tensor<T>?] {
        _ = try outputShape(x.map(\.shape))
        let shape = x[0].shape, e = T(eps)
        let channels = [1, shape[1]] + [Int](repeating: 1, count: shape.count - 2)
        let axes = [0] + Array(2..<shape.count)
        return try composedVJP(grad, inputs: x, needs: needs) { (v) throws(OpError) in
            let y: Tensor<T>
            if v.count == 5 {
                let rstd = try R.rsqrt(R.add(R.reshape(v[4], channels), R.constant(e)))
                y = try R.mul(R.sub(v[0], R.reshape(v[3], channels)), rstd)
            } else {
                y = try normalized(v[0], axes: axes, eps: e)
            }
            return try affine(y, Array(v.prefix(3)), from: 1, shape: channels)
        }
    }
}

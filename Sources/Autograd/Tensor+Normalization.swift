// The Swift API's normalisation and attention functions: thin calls to the registered ops,
// trapping on a shape mismatch as the arithmetic operators do (`Tensor.apply` throws).

/// Layer normalisation of `x` over its trailing `normalizedShape` axes, as
/// `F.layer_norm`; `weight` and `bias` (if given) have the shape `normalizedShape`.
public func layerNorm<T>(
    _ x: Tensor<T>, normalizedShape: [Int], weight: Tensor<T>? = nil, bias: Tensor<T>? = nil, eps: Double = 1e-5, file: StaticString = #fileID, line: UInt = #line) -> Tensor<T> {
    precondition(bias == nil || weight != nil, "layerNorm: a bias needs a weight (pass ones)")
    return Tensor.applyOrTrap(
        LayerNormOp(normalizedShape: normalizedShape, eps: eps), [x] + [weight, bias].compactMap { $0 }, file: file, line: line)
}

/// RMS normalisation of `x` over its trailing `normalizedShape` axes, as `F.rms_norm`;
/// `eps` nil means the precision's machine epsilon.
public func rmsNorm<T>(
    _ x: Tensor<T>, normalizedShape: [Int], weight: Tensor<T>? = nil, eps: Double? = nil, file: StaticString = #fileID, line: UInt = #line) -> Tensor<T> {
    Tensor.applyOrTrap(RMSNormOp(normalizedShape: normalizedShape, eps: eps), [x] + [weight].compactMap { $0 }, file: file, line: line)
}

/// Group normalisation of `x` `[N, C, *]` in `numGroups` groups of channels, as
/// `F.group_norm`; `weight` and `bias` are `[C]`.
public func groupNorm<T>(
    _ x: Tensor<T>, numGroups: Int, weight: Tensor<T>? = nil, bias: Tensor<T>? = nil, eps: Double = 1e-5, file: StaticString = #fileID, line: UInt = #line) -> Tensor<T> {
    precondition(bias == nil || weight != nil, "groupNorm: a bias needs a weight (pass ones)")
    return Tensor.applyOrTrap(GroupNormOp(numGroups: numGroups, eps: eps), [x] + [weight, bias].compactMap { $0 }, file: file, line: line)
}

/// Batch normalisation of `x` `[N, C, *]` per channel, as `F.batch_norm`: by the batch's
/// statistics when `running` is nil (training), by the given running mean and variance
/// otherwise (inference). It updates nothing: the `BatchNorm` module keeps the running
/// statistics.
public func batchNorm<T>(
    _ x: Tensor<T>, weight: Tensor<T>, bias: Tensor<T>,
    running: (mean: Tensor<T>, variance: Tensor<T>)? = nil, eps: Double = 1e-5, file: StaticString = #fileID, line: UInt = #line) -> Tensor<T> {
    var inputs = [x, weight, bias]
    if let running { inputs += [running.mean, running.variance] }
    return Tensor.applyOrTrap(BatchNormOp(eps: eps), inputs, file: file, line: line)
}

/// `softmax(q kᵀ · scale + mask) v`, as `F.scaled_dot_product_attention`: q `[..., L, E]`,
/// k `[..., S, E]`, v `[..., S, Ev]`, an additive `mask` broadcasting to `[..., L, S]`
/// (−∞ hides a position), `isCausal` hiding the positions after each query's, `scale` nil
/// meaning `1/sqrt(E)`.
public func scaledDotProductAttention<T>(
    _ q: Tensor<T>, _ k: Tensor<T>, _ v: Tensor<T>, mask: Tensor<T>? = nil, isCausal: Bool = false,
    scale: Double? = nil, file: StaticString = #fileID, line: UInt = #line) -> Tensor<T> {
    Tensor.applyOrTrap(
        ScaledDotProductAttention(isCausal: isCausal, scale: scale), [q, k, v] + [mask].compactMap { $0 }, file: file, line: line)
}

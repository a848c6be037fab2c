// The Swift API's classification losses: thin calls to the registered ops. A shape
// mismatch or an invalid class index traps with the op's message; `Tensor.apply` is the
// throwing form. @inlinable, as the other sugar is, so that a caller in another module
// calls the specialised engine rather than a generic wrapper (issue 21).

/// Cross-entropy of `logits` `[N, C]`, `[N, C, d...]` (or `[C]`) against class indices
/// `[N, d...]` (or `[]`), stored as integral floats, or class probabilities of the logits'
/// shape. As PyTorch's `cross_entropy`: an optional class `weight` `[C]`, samples whose
/// class is `ignoreIndex` left out; `labelSmoothing` must be in [0, 1].
@inlinable
public func crossEntropy<T>(
    _ logits: Tensor<T>, _ target: Tensor<T>, weight: Tensor<T>? = nil, reduction: Reduction = .mean,
    labelSmoothing: Double = 0, ignoreIndex: Int = -100, file: StaticString = #fileID, line: UInt = #line) -> Tensor<T> {
    Tensor.applyOrTrap(
        CrossEntropy(reduction: reduction, labelSmoothing: labelSmoothing, ignoreIndex: ignoreIndex),
        [logits, target] + (weight.map { [$0] } ?? []), file: file, line: line)
}

/// Negative log-likelihood of log-probabilities `[N, C]`, `[N, C, d...]` (or `[C]`) at class
/// indices `[N, d...]` (or `[]`), as PyTorch's `nll_loss`: an optional class `weight`
/// `[C]`, samples whose class is `ignoreIndex` left out of the sum and of the mean's
/// denominator (the summed weight).
@inlinable
public func nllLoss<T>(
    _ input: Tensor<T>, _ target: Tensor<T>, weight: Tensor<T>? = nil, reduction: Reduction = .mean,
    ignoreIndex: Int = -100, file: StaticString = #fileID, line: UInt = #line) -> Tensor<T> {
    Tensor.applyOrTrap(
        NLLLoss(reduction: reduction, ignoreIndex: ignoreIndex), [input, target] + (weight.map { [$0] } ?? []), file: file, line: line)
}

/// Binary cross-entropy of probabilities `input` against `target` (same shapes), each log
/// clamped at −100 as PyTorch's `binary_cross_entropy`.
@inlinable
public func binaryCrossEntropy<T>(
    _ input: Tensor<T>, _ target: Tensor<T>, reduction: Reduction = .mean, file: StaticString = #fileID, line: UInt = #line) -> Tensor<T> {
    Tensor.applyOrTrap(BinaryCrossEntropy(reduction: reduction), [input, target], file: file, line: line)
}

/// Binary cross-entropy of `sigmoid(logits)` against `target` (same shapes), computed
/// stably from the logits, as PyTorch's `binary_cross_entropy_with_logits`.
@inlinable
public func binaryCrossEntropyWithLogits<T>(
    _ logits: Tensor<T>, _ target: Tensor<T>, reduction: Reduction = .mean, file: StaticString = #fileID, line: UInt = #line) -> Tensor<T> {
    Tensor.applyOrTrap(BinaryCrossEntropyWithLogits(reduction: reduction), [logits, target], file: file, line: line)
}

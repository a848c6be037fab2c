// The Swift API's classification losses: thin calls to the registered ops. A shape
// mismatch or an invalid class index traps with the op's message; `Tensor.apply` is the
// throwing form. @inlinable, as the other sugar is, so that a caller in another module
// calls the specialised engine rather than a generic wrapper (issue 21).

/// Cross-entropy of `logits` `[N, C]` (or `[C]`) against class indices `[N]` (or `[]`),
/// stored as integral floats, or class probabilities of the logits' shape. As PyTorch's
/// `cross_entropy`; `labelSmoothing` must be in [0, 1].
@inlinable
public func crossEntropy<T>(
    _ logits: Tensor<T>, _ target: Tensor<T>, reduction: Reduction = .mean, labelSmoothing: Double = 0
) -> Tensor<T> {
    Tensor.applyOrTrap(CrossEntropy(reduction: reduction, labelSmoothing: labelSmoothing), [logits, target])
}

/// Binary cross-entropy of probabilities `input` against `target` (same shapes), each log
/// clamped at −100 as PyTorch's `binary_cross_entropy`.
@inlinable
public func binaryCrossEntropy<T>(
    _ input: Tensor<T>, _ target: Tensor<T>, reduction: Reduction = .mean
) -> Tensor<T> {
    Tensor.applyOrTrap(BinaryCrossEntropy(reduction: reduction), [input, target])
}

/// Binary cross-entropy of `sigmoid(logits)` against `target` (same shapes), computed
/// stably from the logits, as PyTorch's `binary_cross_entropy_with_logits`.
@inlinable
public func binaryCrossEntropyWithLogits<T>(
    _ logits: Tensor<T>, _ target: Tensor<T>, reduction: Reduction = .mean
) -> Tensor<T> {
    Tensor.applyOrTrap(BinaryCrossEntropyWithLogits(reduction: reduction), [logits, target])
}

// The Swift API of l1_loss, smooth_l1_loss, huber_loss and kl_div: thin calls to the
// registered ops. A shape mismatch traps with the op's message; `Tensor.apply` is the
// throwing form.

/// Absolute error `|input − target|`, reduced, as PyTorch's `l1_loss`.
@inlinable
public func l1Loss<T>(_ input: Tensor<T>, _ target: Tensor<T>, reduction: Reduction = .mean, file: StaticString = #fileID, line: UInt = #line) -> Tensor<T> {
    Tensor.applyOrTrap(L1Loss(reduction: reduction), [input, target], file: file, line: line)
}

/// Quadratic below `beta` (≥ 0), linear above, as PyTorch's `smooth_l1_loss`.
@inlinable
public func smoothL1Loss<T>(
    _ input: Tensor<T>, _ target: Tensor<T>, reduction: Reduction = .mean, beta: Double = 1, file: StaticString = #fileID, line: UInt = #line) -> Tensor<T> {
    Tensor.applyOrTrap(SmoothL1Loss(reduction: reduction, beta: beta), [input, target], file: file, line: line)
}

/// Quadratic below `delta` (> 0), `delta`-sloped linear above, as PyTorch's `huber_loss`.
@inlinable
public func huberLoss<T>(
    _ input: Tensor<T>, _ target: Tensor<T>, reduction: Reduction = .mean, delta: Double = 1, file: StaticString = #fileID, line: UInt = #line) -> Tensor<T> {
    Tensor.applyOrTrap(HuberLoss(reduction: reduction, delta: delta), [input, target], file: file, line: line)
}

/// KL divergence of log-probabilities `input` from `target` (log-probabilities too when
/// `logTarget`), as PyTorch's `kl_div`; `.mean` averages over every element.
@inlinable
public func klDiv<T>(
    _ input: Tensor<T>, _ target: Tensor<T>, reduction: KLDiv.KLReduction = .mean, logTarget: Bool = false, file: StaticString = #fileID, line: UInt = #line) -> Tensor<T> {
    Tensor.applyOrTrap(KLDiv(reduction: reduction, logTarget: logTarget), [input, target], file: file, line: line)
}

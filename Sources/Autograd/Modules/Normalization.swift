// Normalisation layers, as torch.nn's: LayerNorm, RMSNorm, GroupNorm and BatchNorm (which
// keeps running statistics, updated in training mode and used in evaluation mode).

/// `nn.LayerNorm`: layer normalisation over the trailing `normalizedShape`, with a weight
/// (ones) and bias (zeros) of that shape when `elementwiseAffine`.
public final class LayerNorm<Scalar: Autograd.Scalar>: Module {
    /// The trailing axes normalised over (torch's `normalized_shape`); also the shape of `weight`
    /// and `bias`.
    public let normalizedShape: [Int]
    /// Added to the biased variance before the square root; default 1e-5, as torch.
    public let eps: Double
    /// The elementwise scale, shaped `normalizedShape` and initialised to ones; nil without
    /// `elementwiseAffine`.
    public let weight: Tensor<Scalar>?
    /// The elementwise shift, shaped `normalizedShape` and initialised to zeros; nil without
    /// `elementwiseAffine` or with `bias` false.
    public let bias: Tensor<Scalar>?

    /// A layer as `nn.LayerNorm(normalized_shape, eps, elementwise_affine, bias)`, its weight and
    /// bias trainable.
    public init(_ normalizedShape: [Int], eps: Double = 1e-5, elementwiseAffine: Bool = true, bias: Bool = true) {
        self.normalizedShape = normalizedShape
        self.eps = eps
        let n = normalizedShape.reduce(1, *)
        weight = elementwiseAffine ? Tensor(shape: normalizedShape, scalars: [Scalar](repeating: 1, count: n), requiresGrad: true) : nil
        self.bias = elementwiseAffine && bias ? Tensor(shape: normalizedShape, scalars: [Scalar](repeating: 0, count: n), requiresGrad: true) : nil
    }

    public var parameters: [Tensor<Scalar>] { [weight, bias].compactMap { $0 } }

    public func callAsFunction(_ x: Tensor<Scalar>) -> Tensor<Scalar> {
        layerNorm(x, normalizedShape: normalizedShape, weight: weight, bias: bias, eps: eps)
    }
}

/// `nn.RMSNorm`: RMS normalisation over the trailing `normalizedShape`, with a weight
/// (ones) when `elementwiseAffine`; `eps` nil is the precision's machine epsilon.
public final class RMSNorm<Scalar: Autograd.Scalar>: Module {
    /// The trailing axes normalised over (torch's `normalized_shape`); also the shape of `weight`.
    public let normalizedShape: [Int]
    /// Added to the mean square before the square root; nil (the default, torch's `None`) is the
    /// machine epsilon of the precision computed in.
    public let eps: Double?
    /// The elementwise scale, shaped `normalizedShape` and initialised to ones; nil without
    /// `elementwiseAffine`.
    public let weight: Tensor<Scalar>?

    /// A layer as `nn.RMSNorm(normalized_shape, eps, elementwise_affine)`, its weight trainable.
    public init(_ normalizedShape: [Int], eps: Double? = nil, elementwiseAffine: Bool = true) {
        self.normalizedShape = normalizedShape
        self.eps = eps
        weight = elementwiseAffine
            ? Tensor(shape: normalizedShape, scalars: [Scalar](repeating: 1, count: normalizedShape.reduce(1, *)), requiresGrad: true)
            : nil
    }

    public var parameters: [Tensor<Scalar>] { weight.map { [$0] } ?? [] }

    public func callAsFunction(_ x: Tensor<Scalar>) -> Tensor<Scalar> {
        rmsNorm(x, normalizedShape: normalizedShape, weight: weight, eps: eps)
    }
}

/// `nn.GroupNorm`: `numGroups` groups over `numChannels`, with a per-channel weight (ones)
/// and bias (zeros) when `affine`.
public final class GroupNorm<Scalar: Autograd.Scalar>: Module {
    /// The groups the channels are split into (torch's `num_groups`); it divides the channel count.
    public let numGroups: Int
    /// Added to each group's biased variance before the square root; default 1e-5, as torch.
    public let eps: Double
    /// The per-channel scale `[C]`, initialised to ones; nil without `affine`.
    public let weight: Tensor<Scalar>?
    /// The per-channel shift `[C]`, initialised to zeros; nil without `affine`.
    public let bias: Tensor<Scalar>?

    /// A layer as `nn.GroupNorm(num_groups, num_channels, eps, affine)`, its weight and bias
    /// trainable; `numGroups` must be positive and divide `numChannels`.
    public init(numGroups: Int, numChannels: Int, eps: Double = 1e-5, affine: Bool = true) {
        precondition(numGroups > 0 && numChannels % numGroups == 0, "GroupNorm: num_groups must divide num_channels")
        self.numGroups = numGroups
        self.eps = eps
        weight = affine ? Tensor(shape: [numChannels], scalars: [Scalar](repeating: 1, count: numChannels), requiresGrad: true) : nil
        bias = affine ? Tensor(shape: [numChannels], scalars: [Scalar](repeating: 0, count: numChannels), requiresGrad: true) : nil
    }

    public var parameters: [Tensor<Scalar>] { [weight, bias].compactMap { $0 } }

    public func callAsFunction(_ x: Tensor<Scalar>) -> Tensor<Scalar> {
        groupNorm(x, numGroups: numGroups, weight: weight, bias: bias, eps: eps)
    }
}

/// `nn.BatchNorm1d`/`2d`/`3d` in one: x `[N, C, *]`, a per-channel weight (ones) and bias
/// (zeros), and running statistics (mean 0, variance 1) that each training-mode call
/// updates as torch does — `running = (1 − momentum) · running + momentum · batch`, the
/// variance unbiased (`n / (n − 1)`) — and that evaluation mode (`training = false`)
/// normalises by.
public final class BatchNorm<Scalar: Autograd.Scalar>: Module {
    /// The channel count C (torch's `num_features`), axis 1 of the input: the length of the weight,
    /// the bias and the running statistics.
    public let numFeatures: Int
    /// Added to the variance (the batch's, or `runningVar` in evaluation mode) before the square
    /// root; default 1e-5, as torch.
    public let eps: Double
    /// The weight of each batch's statistics in the running update, `running = (1 − momentum) ·
    /// running + momentum · batch`; default 0.1, as torch.
    public let momentum: Double
    /// The per-channel scale `[C]`, initialised to ones and trainable.
    public let weight: Tensor<Scalar>
    /// The per-channel shift `[C]`, initialised to zeros and trainable.
    public let bias: Tensor<Scalar>
    /// The running per-channel mean `[C]`, starting at 0: updated by each training-mode call,
    /// normalised by in evaluation mode; torch's `running_mean` buffer (no gradient).
    public var runningMean: NDArray<Scalar> { _runningMean.value }
    /// The running per-channel unbiased variance `[C]`, starting at 1: updated by each
    /// training-mode call, normalised by in evaluation mode; torch's `running_var` buffer (no
    /// gradient).
    public var runningVar: NDArray<Scalar> { _runningVar.value }
    /// Training-mode calls processed, as torch's `num_batches_tracked`.
    public var numBatchesTracked: Int { Int(_numBatchesTracked.value.data[0]) }
    // The buffers behind the three above, saved by `stateDict()` as `runningMean`,
    // `runningVar` and `numBatchesTracked` (a scalar, exact up to 2^24 batches in Float).
    private let _runningMean: Buffer<Scalar>
    private let _runningVar: Buffer<Scalar>
    private let _numBatchesTracked = Buffer<Scalar>(NDArray(scalar: 0))
    /// Batch statistics and running updates when true (the default); running statistics when false.
    public var training = true

    /// A layer as `nn.BatchNorm1d`/`2d`/`3d(num_features, eps, momentum)` with affine parameters
    /// and tracked running statistics, in training mode.
    public init(numFeatures: Int, eps: Double = 1e-5, momentum: Double = 0.1) {
        self.numFeatures = numFeatures
        self.eps = eps
        self.momentum = momentum
        weight = Tensor(shape: [numFeatures], scalars: [Scalar](repeating: 1, count: numFeatures), requiresGrad: true)
        bias = Tensor(shape: [numFeatures], scalars: [Scalar](repeating: 0, count: numFeatures), requiresGrad: true)
        _runningMean = Buffer(NDArray(repeating: 0, shape: [numFeatures]))
        _runningVar = Buffer(NDArray(repeating: 1, shape: [numFeatures]))
    }

    public var parameters: [Tensor<Scalar>] { [weight, bias] }

    public func callAsFunction(_ x: Tensor<Scalar>) -> Tensor<Scalar> {
        guard training else {
            return batchNorm(x, weight: weight, bias: bias, running: (Tensor(runningMean), Tensor(runningVar)), eps: eps)
        }
        let y = batchNorm(x, weight: weight, bias: bias, eps: eps)
        updateRunningStatistics(x.value)
        return y
    }

    private func updateRunningStatistics(_ x: NDArray<Scalar>) {
        let n = x.shape[0], c = x.shape[1], spatial = x.shape.dropFirst(2).reduce(1, *)
        let count = n * spatial
        let m = Scalar(momentum)
        for ch in 0..<c {
            var mean: Scalar = 0
            for s in 0..<n { for i in 0..<spatial { mean += x.data[(s * c + ch) * spatial + i] } }
            mean /= Scalar(count)
            var ss: Scalar = 0
            for s in 0..<n {
                for i in 0..<spatial {
                    let d = x.data[(s * c + ch) * spatial + i] - mean
                    ss += d * d
                }
            }
            _runningMean.value.data[ch] = (1 - m) * _runningMean.value.data[ch] + m * mean
            _runningVar.value.data[ch] = (1 - m) * _runningVar.value.data[ch] + m * ss / Scalar(count - 1)
        }
        _numBatchesTracked.value.data[0] += 1
    }
}

// Normalisation layers, as torch.nn's: LayerNorm, RMSNorm, GroupNorm and BatchNorm (which
// keeps running statistics, updated in training mode and used in evaluation mode).

/// `nn.LayerNorm`: layer normalisation over the trailing `normalizedShape`, with a weight
/// (ones) and bias (zeros) of that shape when `elementwiseAffine`.
public final class LayerNorm<Scalar: Autograd.Scalar>: Module {
    public let normalizedShape: [Int]
    public let eps: Double
    public let weight: Tensor<Scalar>?
    public let bias: Tensor<Scalar>?

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
    public let normalizedShape: [Int]
    public let eps: Double?
    public let weight: Tensor<Scalar>?

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
    public let numGroups: Int
    public let eps: Double
    public let weight: Tensor<Scalar>?
    public let bias: Tensor<Scalar>?

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
    public let numFeatures: Int
    public let eps: Double
    public let momentum: Double
    public let weight: Tensor<Scalar>
    public let bias: Tensor<Scalar>
    public private(set) var runningMean: NDArray<Scalar>
    public private(set) var runningVar: NDArray<Scalar>
    /// Training-mode calls processed, as torch's `num_batches_tracked`.
    public private(set) var numBatchesTracked = 0
    /// Batch statistics and running updates when true (the default); running statistics when false.
    public var training = true

    public init(numFeatures: Int, eps: Double = 1e-5, momentum: Double = 0.1) {
        self.numFeatures = numFeatures
        self.eps = eps
        self.momentum = momentum
        weight = Tensor(shape: [numFeatures], scalars: [Scalar](repeating: 1, count: numFeatures), requiresGrad: true)
        bias = Tensor(shape: [numFeatures], scalars: [Scalar](repeating: 0, count: numFeatures), requiresGrad: true)
        runningMean = NDArray(repeating: 0, shape: [numFeatures])
        runningVar = NDArray(repeating: 1, shape: [numFeatures])
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
            runningMean.data[ch] = (1 - m) * runningMean.data[ch] + m * mean
            runningVar.data[ch] = (1 - m) * runningVar.data[ch] + m * ss / Scalar(count - 1)
        }
        numBatchesTracked += 1
    }
}

// The everyday forms PyTorch users reach for: max/min/argmax over all elements or an
// axis, every elementwise function as both a method and a free function, softmax as a
// function, and class losses taking `[Int]` labels.

extension Tensor {
    /// The largest element (`axis` nil) or the largest along `axis`, as `torch.max` and
    /// `torch.amax`; differentiable, tied maxima sharing the gradient equally (as
    /// `torch.amax`; `torch.max(dim)` picks one).
    @inlinable public func max(axis: Int? = nil, keepdims: Bool = false) -> Tensor {
        amax(axes: axis.map { [$0] }, keepdims: keepdims)
    }

    /// The smallest element (`axis` nil) or the smallest along `axis`, as `torch.min`
    /// and `torch.amin`; tied minima share the gradient equally.
    @inlinable public func min(axis: Int? = nil, keepdims: Bool = false) -> Tensor {
        amin(axes: axis.map { [$0] }, keepdims: keepdims)
    }

    /// The index of the largest element of the flattened tensor (the first on a tie), as
    /// `torch.argmax` without a dimension.
    @inlinable public func argmax() -> Int {
        Int(reshaped([-1]).argmax(axis: 0).item())
    }

    /// The index of the smallest element of the flattened tensor (the first on a tie).
    @inlinable public func argmin() -> Int {
        Int(reshaped([-1]).argmin(axis: 0).item())
    }

    /// `max(self, 0)` elementwise.
    @inlinable public func relu() -> Tensor { Autograd.relu(self) }
    /// The logistic function elementwise.
    @inlinable public func sigmoid() -> Tensor { Autograd.sigmoid(self) }
    /// The hyperbolic tangent elementwise.
    @inlinable public func tanh() -> Tensor { Autograd.tanh(self) }
    /// The Gaussian error linear unit elementwise, exact by default.
    @inlinable public func gelu(approximate: GELUApproximation = .none) -> Tensor {
        Autograd.gelu(self, approximate: approximate)
    }
    /// `self` where positive, else `negativeSlope * self`.
    @inlinable public func leakyRelu(negativeSlope: Double = 0.01) -> Tensor {
        Autograd.leakyRelu(self, negativeSlope: negativeSlope)
    }
    /// `log(1 + e^self)` elementwise.
    @inlinable public func softplus() -> Tensor { Autograd.softplus(self) }
}

/// `e ** x` elementwise.
@inlinable public func exp<T>(_ x: Tensor<T>) -> Tensor<T> { x.exp() }
/// The natural logarithm elementwise.
@inlinable public func log<T>(_ x: Tensor<T>) -> Tensor<T> { x.log() }
/// The square root elementwise.
@inlinable public func sqrt<T>(_ x: Tensor<T>) -> Tensor<T> { x.sqrt() }
/// `|x|` elementwise.
@inlinable public func abs<T>(_ x: Tensor<T>) -> Tensor<T> { x.abs() }
/// Softmax of `x` along `axis`, as `torch.softmax`.
@inlinable public func softmax<T>(_ x: Tensor<T>, axis: Int = -1) -> Tensor<T> { x.softmax(axis: axis) }
/// Log-softmax of `x` along `axis`, as `torch.log_softmax`.
@inlinable public func logSoftmax<T>(_ x: Tensor<T>, axis: Int = -1) -> Tensor<T> { x.logSoftmax(axis: axis) }

extension Tensor {
    /// Integer class labels as the class-index tensor the losses take: shape
    /// `[labels.count]`, each label an integral float. (The losses take their targets in
    /// the logits' precision, the rule `torch` spells with an int64 tensor.)
    public static func labels(_ labels: [Int]) -> Tensor { Tensor(labels.map { T($0) }) }
}

/// `crossEntropy(_:_:weight:reduction:labelSmoothing:ignoreIndex:file:line:)` with integer class
/// labels `[N]` for logits `[N, C]`.
@inlinable
public func crossEntropy<T>(
    _ logits: Tensor<T>, _ labels: [Int], weight: Tensor<T>? = nil, reduction: Reduction = .mean,
    labelSmoothing: Double = 0, ignoreIndex: Int = -100, file: StaticString = #fileID, line: UInt = #line
) -> Tensor<T> {
    crossEntropy(
        logits, .labels(labels), weight: weight, reduction: reduction, labelSmoothing: labelSmoothing,
        ignoreIndex: ignoreIndex, file: file, line: line)
}

/// `nllLoss(_:_:weight:reduction:ignoreIndex:file:line:)` with integer class labels `[N]` for
/// log-probabilities `[N, C]`.
@inlinable
public func nllLoss<T>(
    _ input: Tensor<T>, _ labels: [Int], weight: Tensor<T>? = nil, reduction: Reduction = .mean,
    ignoreIndex: Int = -100, file: StaticString = #fileID, line: UInt = #line
) -> Tensor<T> {
    nllLoss(input, .labels(labels), weight: weight, reduction: reduction, ignoreIndex: ignoreIndex, file: file, line: line)
}

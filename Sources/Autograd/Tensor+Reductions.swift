// The Swift API of issue 10's reductions and cosine similarity: thin calls to the
// registered ops (trapping on a bad axis, as the arithmetic operators do on bad shapes).

extension Tensor {
    /// The running sum along `axis`.
    @inlinable public func cumsum(axis: Int, file: StaticString = #fileID, line: UInt = #line) -> Tensor { Tensor.applyOrTrap(Cumsum(axis: axis), [self], file: file, line: line) }

    /// `log(sum(exp(self)))` over `axes` (all by default), stable at any magnitude.
    @inlinable public func logsumexp(axes: [Int]? = nil, keepdims: Bool = false, file: StaticString = #fileID, line: UInt = #line) -> Tensor {
        Tensor.applyOrTrap(LogSumExp(axes: axes, keepdims: keepdims), [self], file: file, line: line)
    }

    /// The variance over `axes` (all by default), divided by `N - correction`.
    @inlinable public func variance(axes: [Int]? = nil, keepdims: Bool = false, correction: Double = 1, file: StaticString = #fileID, line: UInt = #line) -> Tensor {
        Tensor.applyOrTrap(Var(axes: axes, keepdims: keepdims, correction: correction), [self], file: file, line: line)
    }

    /// The standard deviation over `axes` (all by default): the square root of `variance`.
    @inlinable public func standardDeviation(axes: [Int]? = nil, keepdims: Bool = false, correction: Double = 1, file: StaticString = #fileID, line: UInt = #line) -> Tensor {
        Tensor.applyOrTrap(Std(axes: axes, keepdims: keepdims, correction: correction), [self], file: file, line: line)
    }

    /// The vector norm over `axes` (all by default): Euclidean by default, or `.one`, `.infinity`.
    @inlinable public func norm(_ ord: Norm.Order = .two, axes: [Int]? = nil, keepdims: Bool = false, file: StaticString = #fileID, line: UInt = #line) -> Tensor {
        Tensor.applyOrTrap(Norm(ord: ord, axes: axes, keepdims: keepdims), [self], file: file, line: line)
    }

    /// The index of the largest element along `axis` (the first on a tie), as a number.
    @inlinable public func argmax(axis: Int, keepdims: Bool = false, file: StaticString = #fileID, line: UInt = #line) -> Tensor {
        Tensor.applyOrTrap(ArgMax(axis: axis, keepdims: keepdims), [self], file: file, line: line)
    }

    /// The index of the smallest element along `axis` (the first on a tie), as a number.
    @inlinable public func argmin(axis: Int, keepdims: Bool = false, file: StaticString = #fileID, line: UInt = #line) -> Tensor {
        Tensor.applyOrTrap(ArgMin(axis: axis, keepdims: keepdims), [self], file: file, line: line)
    }

    /// The cosine similarity with `other` along `axis`, broadcasting; norms below `eps`
    /// count as `eps`.
    @inlinable public func cosineSimilarity(_ other: Tensor, axis: Int = 1, eps: Double = 1e-8, file: StaticString = #fileID, line: UInt = #line) -> Tensor {
        Tensor.applyOrTrap(CosineSimilarity(axis: axis, eps: eps), [self, other], file: file, line: line)
    }
}

/// The running sum of `x` along `axis`.
@inlinable public func cumsum<T>(_ x: Tensor<T>, axis: Int) -> Tensor<T> { x.cumsum(axis: axis) }

/// `log(sum(exp(x)))` over `axes` (all by default).
@inlinable public func logsumexp<T>(_ x: Tensor<T>, axes: [Int]? = nil, keepdims: Bool = false) -> Tensor<T> {
    x.logsumexp(axes: axes, keepdims: keepdims)
}

/// The cosine similarity of `a` and `b` along `axis`, as torch.nn.functional.cosine_similarity.
@inlinable public func cosineSimilarity<T>(_ a: Tensor<T>, _ b: Tensor<T>, axis: Int = 1, eps: Double = 1e-8) -> Tensor<T> {
    a.cosineSimilarity(b, axis: axis, eps: eps)
}

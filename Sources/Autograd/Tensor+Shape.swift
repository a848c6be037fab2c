// The Swift API of softmax, the max/min reductions and the shape ops: thin calls to the
// registered ops. A bad axis or shape here is a programming error and traps with the op's
// message; `Tensor.apply` is the throwing form.

extension Tensor {
    /// Softmax along `axis` (negatives count from the end), as `torch.softmax`.
    public func softmax(axis: Int = -1, file: StaticString = #fileID, line: UInt = #line) -> Tensor {
        Tensor.applyOrTrap(Softmax(axis: axis), [self], file: file, line: line)
    }

    /// Log-softmax along `axis` (negatives count from the end), as `torch.log_softmax`.
    public func logSoftmax(axis: Int = -1, file: StaticString = #fileID, line: UInt = #line) -> Tensor {
        Tensor.applyOrTrap(LogSoftmax(axis: axis), [self], file: file, line: line)
    }

    /// Maximum over `axes` (all by default; negatives count from the end), as
    /// `torch.amax`; tied elements share the gradient equally.
    public func amax(axes: [Int]? = nil, keepdims: Bool = false, file: StaticString = #fileID, line: UInt = #line) -> Tensor {
        Tensor.applyOrTrap(Amax(axes: axes, keepdims: keepdims), [self], file: file, line: line)
    }

    /// Minimum over `axes` (all by default; negatives count from the end), as
    /// `torch.amin`; tied elements share the gradient equally.
    public func amin(axes: [Int]? = nil, keepdims: Bool = false, file: StaticString = #fileID, line: UInt = #line) -> Tensor {
        Tensor.applyOrTrap(Amin(axes: axes, keepdims: keepdims), [self], file: file, line: line)
    }

    /// The same elements in `shape`, which may contain one -1 to be inferred.
    public func reshaped(_ shape: [Int], file: StaticString = #fileID, line: UInt = #line) -> Tensor {
        Tensor.applyOrTrap(Reshape(shape: shape), [self], file: file, line: line)
    }

    /// Axes permuted so that output axis `i` is axis `perm[i]`, as `numpy.transpose`;
    /// `nil` reverses the axes.
    public func transposed(_ perm: [Int]? = nil, file: StaticString = #fileID, line: UInt = #line) -> Tensor {
        Tensor.applyOrTrap(Transpose(perm: perm), [self], file: file, line: line)
    }

    /// `self[start:stop:step]` along `axis`, with Python's handling of negative and
    /// out-of-range bounds; `step` must be positive.
    public func slice(axis: Int = 0, start: Int? = nil, stop: Int? = nil, step: Int = 1, file: StaticString = #fileID, line: UInt = #line) -> Tensor {
        Tensor.applyOrTrap(SliceOp(axis: axis, start: start, stop: stop, step: step), [self], file: file, line: line)
    }
}

/// `tensors` joined along `axis`, as `torch.cat`: equal ranks, equal dimensions outside
/// `axis`.
public func concat<T>(_ tensors: [Tensor<T>], axis: Int = 0, file: StaticString = #fileID, line: UInt = #line) -> Tensor<T> {
    Tensor.applyOrTrap(Concat(axis: axis), tensors, file: file, line: line)
}

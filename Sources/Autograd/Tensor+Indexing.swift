// The Swift API of the indexing and shape ops of issue 10: thin calls to the registered
// ops. A bad axis, shape or index here is a programming error and traps with the op's
// message; `Tensor.apply` is the throwing form.

extension Tensor {
    /// Length-1 axes removed: those of `axes` (others are kept, as torch), or every one
    /// when `axes` is nil. As `torch.squeeze`.
    @inlinable
    public func squeezed(axes: [Int]? = nil, file: StaticString = #fileID, line: UInt = #line) -> Tensor {
        Tensor.applyOrTrap(Squeeze(axes: axes), [self], file: file, line: line)
    }

    /// A length-1 axis inserted at `axis` (in `-(rank+1)...rank`), as `torch.unsqueeze`.
    @inlinable
    public func unsqueezed(axis: Int, file: StaticString = #fileID, line: UInt = #line) -> Tensor {
        Tensor.applyOrTrap(Unsqueeze(axis: axis), [self], file: file, line: line)
    }

    /// This tensor broadcast to `shape` (a -1 keeps an existing length), as
    /// `torch.broadcast_to`; the gradient sums back over the broadcast axes.
    @inlinable
    public func broadcast(to shape: [Int], file: StaticString = #fileID, line: UInt = #line) -> Tensor {
        Tensor.applyOrTrap(BroadcastTo(shape: shape), [self], file: file, line: line)
    }

    /// Padded with `value`: `padWidth` holds `(before, after)` per axis (or one pair for
    /// all), as `numpy.pad`; negative widths crop, as `torch.nn.functional.pad`.
    @inlinable
    public func padded(_ padWidth: [(before: Int, after: Int)], value: Double = 0, file: StaticString = #fileID, line: UInt = #line) -> Tensor {
        Tensor.applyOrTrap(Pad(padWidth: padWidth, value: value), [self], file: file, line: line)
    }

    /// Elements reversed along `axes` (every axis when nil), as `torch.flip`.
    @inlinable
    public func flipped(axes: [Int]? = nil, file: StaticString = #fileID, line: UInt = #line) -> Tensor {
        Tensor.applyOrTrap(Flip(axes: axes), [self], file: file, line: line)
    }

    /// Slices along `axis` picked by integer `indices` (negatives wrap), as `numpy.take`:
    /// shaped `shape[..<axis] + indices.shape + shape[(axis+1)...]`.
    @inlinable
    public func take(_ indices: Tensor, axis: Int = 0, file: StaticString = #fileID, line: UInt = #line) -> Tensor {
        Tensor.applyOrTrap(Take(axis: axis), [self, indices], file: file, line: line)
    }

    /// Elements picked along `axis` by an integer index tensor of this rank, as
    /// `torch.gather`.
    @inlinable
    public func gather(axis: Int, _ indices: Tensor, file: StaticString = #fileID, line: UInt = #line) -> Tensor {
        Tensor.applyOrTrap(Gather(axis: axis), [self, indices], file: file, line: line)
    }
}

/// `tensors` (of one shape) joined along a new `axis`, as `torch.stack`.
@inlinable
public func stack<T>(_ tensors: [Tensor<T>], axis: Int = 0, file: StaticString = #fileID, line: UInt = #line) -> Tensor<T> {
    Tensor.applyOrTrap(Stack(axis: axis), tensors, file: file, line: line)
}

/// Rows of `weight` `[V, D]` at integer `indices`, shaped `indices.shape + [D]`, as
/// `torch.nn.functional.embedding(indices, weight)`.
@inlinable
public func embedding<T>(_ weight: Tensor<T>, _ indices: Tensor<T>) -> Tensor<T> {
    Tensor.applyOrTrap(EmbeddingOp(), [weight, indices])
}

/// `x` with each element zeroed with probability `p` and the rest scaled by `1/(1 − p)`,
/// the mask drawn from `SplitMix64(seed)` (see `DropoutOp`): the same seed, the same mask.
@inlinable
public func dropout<T>(_ x: Tensor<T>, p: Double, seed: UInt64, file: StaticString = #fileID, line: UInt = #line) -> Tensor<T> {
    Tensor.applyOrTrap(DropoutOp(p: p, seed: seed), [x], file: file, line: line)
}

// The Swift API of the indexing and shape ops of issue 10: thin calls to the registered
// ops. A bad axis, shape or index here is a programming error and traps with the op's
// message; `Tensor.apply` is the throwing form.

extension Tensor {
    /// Length-1 axes removed: those of `axes` (others are kept, as torch), or every one
    /// when `axes` is nil. As `torch.squeeze`.
    public func squeezed(axes: [Int]? = nil) -> Tensor {
        Tensor.applyOrTrap(Squeeze(axes: axes), [self])
    }

    /// A length-1 axis inserted at `axis` (in `-(rank+1)...rank`), as `torch.unsqueeze`.
    public func unsqueezed(axis: Int) -> Tensor {
        Tensor.applyOrTrap(Unsqueeze(axis: axis), [self])
    }

    /// This tensor broadcast to `shape` (a -1 keeps an existing length), as
    /// `torch.broadcast_to`; the gradient sums back over the broadcast axes.
    public func broadcast(to shape: [Int]) -> Tensor {
        Tensor.applyOrTrap(BroadcastTo(shape: shape), [self])
    }

    /// Padded with `value`: `padWidth` holds `(before, after)` per axis (or one pair for
    /// all), as `numpy.pad`; negative widths crop, as `torch.nn.functional.pad`.
    public func padded(_ padWidth: [(before: Int, after: Int)], value: Double = 0) -> Tensor {
        Tensor.applyOrTrap(Pad(padWidth: padWidth, value: value), [self])
    }

    /// Elements reversed along `axes` (every axis when nil), as `torch.flip`.
    public func flipped(axes: [Int]? = nil) -> Tensor {
        Tensor.applyOrTrap(Flip(axes: axes), [self])
    }

    /// Slices along `axis` picked by integer `indices` (negatives wrap), as `numpy.take`:
    /// shaped `shape[..<axis] + indices.shape + shape[(axis+1)...]`.
    public func take(_ indices: Tensor, axis: Int = 0) -> Tensor {
        Tensor.applyOrTrap(Take(axis: axis), [self, indices])
    }

    /// Elements picked along `axis` by an integer index tensor of this rank, as
    /// `torch.gather`.
    public func gather(axis: Int, _ indices: Tensor) -> Tensor {
        Tensor.applyOrTrap(Gather(axis: axis), [self, indices])
    }
}

/// `tensors` (of one shape) joined along a new `axis`, as `torch.stack`.
public func stack<T>(_ tensors: [Tensor<T>], axis: Int = 0) -> Tensor<T> {
    Tensor.applyOrTrap(Stack(axis: axis), tensors)
}

/// Rows of `weight` `[V, D]` at integer `indices`, shaped `indices.shape + [D]`, as
/// `torch.nn.functional.embedding(indices, weight)`.
public func embedding<T>(_ weight: Tensor<T>, _ indices: Tensor<T>) -> Tensor<T> {
    Tensor.applyOrTrap(EmbeddingOp(), [weight, indices])
}

/// `x` with each element zeroed with probability `p` and the rest scaled by `1/(1 − p)`,
/// the mask drawn from `SplitMix64(seed)` (see `DropoutOp`): the same seed, the same mask.
public func dropout<T>(_ x: Tensor<T>, p: Double, seed: UInt64) -> Tensor<T> {
    Tensor.applyOrTrap(DropoutOp(p: p, seed: seed), [x])
}

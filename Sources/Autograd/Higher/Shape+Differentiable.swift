// The differentiable vector-Jacobian products of the ops that move elements without
// combining them: transpose, concat, slice, squeeze, unsqueeze, stack, pad, flip, and
// dropout (a constant mask). Each is linear, so its vector-Jacobian product is its
// adjoint, written with ops of the same family: transpose with the inverse permutation,
// slice as a pad with zeros (a strided slice interleaves zeros first), pad as a pad with
// the widths negated (a crop), concat and stack as slices, flip as itself.

extension Transpose: DifferentiableOperator {
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func differentiableVJP<T: Scalar>(
        _ grad: Tensor<T>, inputs x: [Tensor<T>], output: Tensor<T>, needs: [Bool]
    ) throws(OpError) -> [Tensor<T>?] {
        guard needs[0] else { return [nil] }
        // The forward pass validated perm; here it is only normalised.
        let rank = x[0].rank
        let p = perm.map { $0.map { $0 < 0 ? $0 + rank : $0 } } ?? Array((0..<rank).reversed())
        var inverse = p
        for (i, a) in p.enumerated() { inverse[a] = i }
        return [try Tensor.apply(Transpose(perm: inverse), [grad])]
    }
}

extension SliceOp: DifferentiableOperator {
    // The taken elements go back where they came from, zeros elsewhere. With step 1 that
    // is a pad along the axis; with step s, each gradient slab is first followed by s - 1
    // zero slabs (unsqueeze, pad, reshape), then padded before and padded or cropped after.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func differentiableVJP<T: Scalar>(
        _ grad: Tensor<T>, inputs x: [Tensor<T>], output: Tensor<T>, needs: [Bool]
    ) throws(OpError) -> [Tensor<T>?] {
        guard needs[0] else { return [nil] }
        let shape = x[0].shape
        let a = try Shape.resolveAxis(axis, rank: shape.count)
        let n = shape[a], count = grad.shape[a]
        // Python's slice.indices, as the forward pass resolved it.
        let first = start.map { $0 < 0 ? Swift.max($0 + n, 0) : Swift.min($0, n) } ?? 0
        var spread = grad
        if step > 1 && count > 1 {
            let u = try Tensor.apply(Unsqueeze(axis: a + 1), [grad])
            let interleaved = try Tensor.apply(Pad(padWidth: Adjoint.widths(rank: u.rank, axis: a + 1, 0, step - 1)), [u])
            var joined = grad.shape
            joined[a] = count * step
            spread = try Tensor.apply(Reshape(shape: joined), [interleaved])
        }
        let widths = Adjoint.widths(rank: shape.count, axis: a, first, n - first - spread.shape[a])
        return [try Tensor.apply(Pad(padWidth: widths), [spread])]
    }
}

extension Pad: DifferentiableOperator {
    // Pad's adjoint is a pad with every width negated (value 0): padding becomes cropping
    // and cropping becomes padding with zeros, which is what cropped elements receive.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func differentiableVJP<T: Scalar>(
        _ grad: Tensor<T>, inputs x: [Tensor<T>], output: Tensor<T>, needs: [Bool]
    ) throws(OpError) -> [Tensor<T>?] {
        guard needs[0] else { return [nil] }
        var negated: [(before: Int, after: Int)] = []
        for p in padWidth {
            guard p.before != Int.min, p.after != Int.min else {
                throw .attribute(name: "pad_width", detail: "a width of Int.min has no differentiable adjoint")
            }
            negated.append((before: -p.before, after: -p.after))
        }
        return [try Tensor.apply(Pad(padWidth: negated, value: 0), [grad])]
    }
}

extension Concat: DifferentiableOperator {
    // Each input's gradient is its own slab of the upstream gradient.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func differentiableVJP<T: Scalar>(
        _ grad: Tensor<T>, inputs x: [Tensor<T>], output: Tensor<T>, needs: [Bool]
    ) throws(OpError) -> [Tensor<T>?] {
        if x.count == 1 { return [needs[0] ? grad : nil] }
        let a = try Shape.resolveAxis(axis, rank: grad.rank)
        var offset = 0
        var result: [Tensor<T>?] = []
        for (i, input) in x.enumerated() {
            let length = input.shape[a]
            result.append(
                needs[i] ? try Tensor.apply(SliceOp(axis: a, start: offset, stop: offset + length), [grad]) : nil)
            offset += length
        }
        return result
    }
}

extension Stack: DifferentiableOperator {
    // Input j's gradient is the slab at index j of the new axis.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func differentiableVJP<T: Scalar>(
        _ grad: Tensor<T>, inputs x: [Tensor<T>], output: Tensor<T>, needs: [Bool]
    ) throws(OpError) -> [Tensor<T>?] {
        let a = try Unsqueeze.resolve(axis, rank: x[0].rank)
        var result: [Tensor<T>?] = []
        for (j, input) in x.enumerated() {
            guard needs[j] else {
                result.append(nil)
                continue
            }
            let slab = x.count == 1 ? grad : try Tensor.apply(SliceOp(axis: a, start: j, stop: j + 1), [grad])
            result.append(try Adjoint.reshape(slab, input.shape))
        }
        return result
    }
}

extension Squeeze: DifferentiableOperator {
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func differentiableVJP<T: Scalar>(
        _ grad: Tensor<T>, inputs x: [Tensor<T>], output: Tensor<T>, needs: [Bool]
    ) throws(OpError) -> [Tensor<T>?] {
        [needs[0] ? try Adjoint.reshape(grad, x[0].shape) : nil]
    }
}

extension Unsqueeze: DifferentiableOperator {
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func differentiableVJP<T: Scalar>(
        _ grad: Tensor<T>, inputs x: [Tensor<T>], output: Tensor<T>, needs: [Bool]
    ) throws(OpError) -> [Tensor<T>?] {
        [needs[0] ? try Adjoint.reshape(grad, x[0].shape) : nil]
    }
}

extension Flip: DifferentiableOperator {
    // Flipping is its own adjoint.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func differentiableVJP<T: Scalar>(
        _ grad: Tensor<T>, inputs x: [Tensor<T>], output: Tensor<T>, needs: [Bool]
    ) throws(OpError) -> [Tensor<T>?] {
        [needs[0] ? try Tensor.apply(self, [grad]) : nil]
    }
}

extension DropoutOp: DifferentiableOperator {
    // A constant mask times a constant scale: the op is diagonal and so its own adjoint,
    // g * mask / (1 - p), the same mask drawn again from the seed (zeros for p = 1).
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func differentiableVJP<T: Scalar>(
        _ grad: Tensor<T>, inputs x: [Tensor<T>], output: Tensor<T>, needs: [Bool]
    ) throws(OpError) -> [Tensor<T>?] {
        [needs[0] ? try Tensor.apply(self, [grad]) : nil]
    }
}

extension Adjoint {
    /// Pad widths for a tensor of `rank`: `before` and `after` on `axis`, 0 elsewhere.
    static func widths(rank: Int, axis: Int, _ before: Int, _ after: Int) -> [(before: Int, after: Int)] {
        (0..<rank).map { $0 == axis ? (before: before, after: after) : (before: 0, after: 0) }
    }
}

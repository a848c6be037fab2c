// The differentiable vector-Jacobian products of take, gather and embedding, and the
// scatter-adds they are written in. Picking elements by index is linear; its adjoint adds
// each upstream element back into the place it was picked from (`IndexAdd` for take and
// embedding, `ScatterAdd` for gather), and the adjoint of that scatter-add is the pick
// again. Neither is a wire op. Indices are constants and get no gradient.

/// `indices`-picked slabs added back along `axis` into zeros of length `length`: the
/// adjoint of `take(x, indices, axis)` for an `x` with `length` elements along `axis`.
/// `src` has `take`'s output shape, `x.shape[:axis] + indices.shape + x.shape[axis+1:]`;
/// the result has `x`'s. A slab picked twice receives the sum, added in index order.
public struct IndexAdd: DifferentiableOperator, Equatable {
    public static let signature = OpSignature(
        name: "index_add", arity: .exactly(2), inputs: ["src", "indices"],
        attributes: [
            AttributeSpec("axis", .int, default: .int(0), "the axis indexed, non-negative"),
            AttributeSpec("length", .int, default: nil, "the result's length along axis (required)"),
        ],
        summary: "slabs of src added into zeros at integer indices along axis (negatives wrap): take's adjoint",
        pytorch: "torch.zeros(shape).index_add_(axis, indices.flatten(), src.flatten(axis, axis + indices.dim() - 1))")

    /// The axis indexed, non-negative.
    public let axis: Int
    /// The result's length along `axis`.
    public let length: Int

    /// Scatter-adds along `axis` into `length` slabs.
    public init(axis: Int, length: Int) {
        self.axis = axis
        self.length = length
    }

    public init(attributes: Attributes) throws(OpError) {
        guard attributes["length"] != nil, attributes["length"] != .null else {
            throw .attribute(name: "length", detail: "is required")
        }
        self.init(axis: try attributes.int("axis"), length: try attributes.int("length"))
    }

    public func outputShape(_ inputs: [[Int]]) throws(OpError) -> [Int] {
        let (src, indices) = (inputs[0], inputs[1])
        guard axis >= 0, length >= 0, src.count >= axis + indices.count,
            Array(src[axis..<(axis + indices.count)]) == indices
        else {
            throw .shape(
                "index_add: src \(Shape.describe(src)) does not hold indices \(Shape.describe(indices)) at axis \(axis)")
        }
        return Array(src[..<axis]) + [length] + Array(src[(axis + indices.count)...])
    }

    public func validateValues<T: Scalar>(_ inputs: [NDArray<T>]) throws(OpError) {
        try IndexValues.check(inputs[1].data, input: 1, what: "index", count: length, wraps: true)
    }

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func forward<T: Scalar>(_ x: [NDArray<T>]) -> NDArray<T> {
        guard let shape = try? outputShape([x[0].shape, x[1].shape]) else { return x[0] }
        let (outer, n, inner) = Shape.split(shape, at: axis)
        let k = x[1].count
        var result = NDArray(repeating: T(0), shape: shape)
        x[0].data.withUnsafeBufferPointer { g in
            x[1].data.withUnsafeBufferPointer { ind in
                result.data.withUnsafeMutableBufferPointer { dst in
                    for o in 0..<outer {
                        for j in 0..<k {
                            guard let i = IndexValues.resolve(ind[j], n) else { continue }
                            let from = (o * k + j) * inner, to = (o * n + i) * inner
                            for e in 0..<inner { dst[to + e] += g[from + e] }
                        }
                    }
                }
            }
        }
        return result
    }

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func vjp<T: Scalar>(
        _ grad: NDArray<T>, inputs x: [NDArray<T>], output: NDArray<T>, needs: [Bool]
    ) -> [NDArray<T>?] {
        [needs[0] ? Take(axis: axis).forward([grad, x[1]]) : nil, nil]
    }

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func differentiableVJP<T: Scalar>(
        _ grad: Tensor<T>, inputs x: [Tensor<T>], output: Tensor<T>, needs: [Bool]
    ) throws(OpError) -> [Tensor<T>?] {
        [needs[0] ? try Tensor.apply(Take(axis: axis), [grad, x[1]]) : nil, nil]
    }
}

/// Elements of `src` added into zeros of `shape` at the places `gather(x, axis, indices)`
/// reads them from (`src` and `indices` of one shape, of `shape`'s rank): the adjoint of
/// gather. An element picked twice receives the sum, added in index order.
public struct ScatterAdd: DifferentiableOperator, Equatable {
    public static let signature = OpSignature(
        name: "scatter_add", arity: .exactly(2), inputs: ["src", "indices"],
        attributes: [
            AttributeSpec("axis", .int, default: nil, "the axis indexed (required), negatives from the end"),
            AttributeSpec("shape", .ints, default: nil, "the result's shape (required)"),
        ],
        summary: "src added into zeros of shape where gather along axis reads: gather's adjoint",
        pytorch: "torch.zeros(shape).scatter_add_(axis, indices, src)")

    /// The axis indexed, negatives from the end.
    public let axis: Int
    /// The result's shape (gather's input's).
    public let shape: [Int]

    /// Scatter-adds along `axis` into zeros of `shape`.
    public init(axis: Int, shape: [Int]) {
        self.axis = axis
        self.shape = shape
    }

    public init(attributes: Attributes) throws(OpError) {
        guard let shape = try attributes.ints("shape") else { throw .attribute(name: "shape", detail: "is required") }
        self.init(axis: try attributes.int("axis"), shape: shape)
    }

    public func outputShape(_ inputs: [[Int]]) throws(OpError) -> [Int] {
        guard inputs[0] == inputs[1] else {
            throw .shape(
                "scatter_add: src \(Shape.describe(inputs[0])) and indices \(Shape.describe(inputs[1])) differ in shape")
        }
        _ = try Gather(axis: axis).outputShape([shape, inputs[1]])
        return shape
    }

    public func validateValues<T: Scalar>(_ inputs: [NDArray<T>]) throws(OpError) {
        let a = try Shape.resolveAxis(axis, rank: shape.count, scalarAllowed: true)
        try IndexValues.check(inputs[1].data, input: 1, what: "index", count: shape.isEmpty ? 1 : shape[a])
    }

    // Gather's own first-order scatter, for an x of `shape` (only its shape is read).
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func forward<T: Scalar>(_ x: [NDArray<T>]) -> NDArray<T> {
        let like = NDArray<T>(repeating: 0, shape: shape)
        return Gather(axis: axis).vjp(x[0], inputs: [like, x[1]], output: x[0], needs: [true, false])[0] ?? like
    }

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func vjp<T: Scalar>(
        _ grad: NDArray<T>, inputs x: [NDArray<T>], output: NDArray<T>, needs: [Bool]
    ) -> [NDArray<T>?] {
        [needs[0] ? Gather(axis: axis).forward([grad, x[1]]) : nil, nil]
    }

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func differentiableVJP<T: Scalar>(
        _ grad: Tensor<T>, inputs x: [Tensor<T>], output: Tensor<T>, needs: [Bool]
    ) throws(OpError) -> [Tensor<T>?] {
        [needs[0] ? try Tensor.apply(Gather(axis: axis), [grad, x[1]]) : nil, nil]
    }
}

extension Take: DifferentiableOperator {
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func differentiableVJP<T: Scalar>(
        _ grad: Tensor<T>, inputs x: [Tensor<T>], output: Tensor<T>, needs: [Bool]
    ) throws(OpError) -> [Tensor<T>?] {
        guard needs[0] else { return [nil, nil] }
        let a = try Shape.resolveAxis(axis, rank: x[0].rank)
        return [try Tensor.apply(IndexAdd(axis: a, length: x[0].shape[a]), [grad, x[1]]), nil]
    }
}

extension Gather: DifferentiableOperator {
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func differentiableVJP<T: Scalar>(
        _ grad: Tensor<T>, inputs x: [Tensor<T>], output: Tensor<T>, needs: [Bool]
    ) throws(OpError) -> [Tensor<T>?] {
        [needs[0] ? try Tensor.apply(ScatterAdd(axis: axis, shape: x[0].shape), [grad, x[1]]) : nil, nil]
    }
}

extension EmbeddingOp: DifferentiableOperator {
    // embedding(weight, indices) is take(weight, indices, axis 0) with indices in [0, V):
    // the weight's gradient is the same scatter-add of rows.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func differentiableVJP<T: Scalar>(
        _ grad: Tensor<T>, inputs x: [Tensor<T>], output: Tensor<T>, needs: [Bool]
    ) throws(OpError) -> [Tensor<T>?] {
        [needs[0] ? try Tensor.apply(IndexAdd(axis: 0, length: x[0].shape[0]), [grad, x[1]]) : nil, nil]
    }
}

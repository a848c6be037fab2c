// Derivatives of derivatives (issue 12). The first-order pass (`Backward.swift`) runs each
// op's `vjp` on raw arrays: fast, and not itself differentiable. An op that can be
// differentiated again also states its vector-Jacobian product in terms of recorded ops
// (`differentiableVJP`), as PyTorch's derivatives.yaml states each backward formula in
// terms of differentiable functions. The create-graph pass (`CreateGraph.swift`) walks the
// graph calling those, so the gradient it returns is itself a recorded tensor: a second
// `backward` differentiates it, and so on to any order, provided every op the formulas
// use is a `DifferentiableOperator` too.

/// An op whose vector-Jacobian product can itself be differentiated.
public protocol DifferentiableOperator: Operator {
    /// The vector-Jacobian product as recorded ops: given `grad`, the upstream gradient of
    /// the output (a tensor, possibly recorded), returns each input's gradient (`nil` where
    /// `needs[i]` is false, or where the gradient is zero and the op says so by
    /// returning nil). A returned tensor may have the output's broadcast shape; the engine
    /// sums it back down with ``SumTo``.
    ///
    /// `inputs` and `output` are the recorded tensors of the forward pass, so a formula
    /// that uses them (tanh' = 1 - y²) is differentiated through them.
    func differentiableVJP<T: Scalar>(
        _ grad: Tensor<T>, inputs: [Tensor<T>], output: Tensor<T>, needs: [Bool]
    ) throws(OpError) -> [Tensor<T>?]
}

/// `x` summed down to `shape`, a shape it broadcasts to (leading axes dropped, axes where
/// `shape` has 1 kept at 1): the un-broadcasting step of the create-graph backward pass.
/// Not a wire op; its gradient is `broadcast_to`, and that one's is this.
public struct SumTo: DifferentiableOperator, Equatable {
    public static let signature = OpSignature(
        name: "sum_to", arity: .exactly(1), inputs: ["x"],
        summary: "x summed down to shape, a shape it broadcasts to",
        pytorch: "torch.Tensor.sum_to_size(shape)")

    /// The shape to sum down to.
    public let shape: [Int]

    /// The op summing down to `shape`.
    public init(shape: [Int]) { self.shape = shape }

    public init(attributes: Attributes) throws(OpError) {
        guard let shape = try attributes.ints("shape") else { throw .attribute(name: "shape", detail: "is required") }
        self.init(shape: shape)
    }

    public func outputShape(_ inputs: [[Int]]) throws(OpError) -> [Int] {
        guard Shape.reduces(inputs[0], to: shape) else {
            throw .shape("sum_to: \(Shape.describe(inputs[0])) cannot be summed down to \(Shape.describe(shape))")
        }
        return shape
    }

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func forward<T: Scalar>(_ x: [NDArray<T>]) -> NDArray<T> {
        // A bias's gradient ([rows, cols] to [cols], cols > 1; a create-graph pass records
        // one per linear layer): row by row, the same additions in the same order as
        // `sum(to:)`, the same bytes (`LinearOp.columnSums`, as the first-order pass sums it).
        let input = x[0]
        if input.rank == 2 && shape == [input.shape[1]] && input.shape[1] > 1 {
            return LinearOp.columnSums(input)
        }
        return input.sum(to: shape)
    }

    public func vjp<T: Scalar>(
        _ grad: NDArray<T>, inputs x: [NDArray<T>], output: NDArray<T>, needs: [Bool]
    ) -> [NDArray<T>?] {
        [needs[0] ? grad.broadcast(to: x[0].shape) : nil]
    }

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func differentiableVJP<T: Scalar>(
        _ grad: Tensor<T>, inputs: [Tensor<T>], output: Tensor<T>, needs: [Bool]
    ) throws(OpError) -> [Tensor<T>?] {
        [needs[0] ? try Tensor.apply(BroadcastTo(shape: inputs[0].shape), [grad]) : nil]
    }
}

// Float <-> Double, differentiable, as PyTorch's `x.to(torch.float64)`.

extension Tensor {
    /// This tensor in precision `U` (`x.to(Double.self)`), differentiable: the gradient
    /// reaching the result comes back converted to `T`. Converting to `T` itself returns
    /// `self`, as PyTorch does.
    ///
    /// A graph holds one element type, so the result is a node of `U`'s graph whose
    /// backward step runs this tensor's own backward pass with the converted gradient
    /// (once, when all of the result's gradient has arrived).
    public func to<U: Scalar>(_: U.Type) -> Tensor<U> {
        if let same = self as? Tensor<U> { return same }
        let converted = NDArray<U>(shape: shape, data: value.data.map { U($0) })
        guard requiresGrad, GradMode.isRecording else { return Tensor<U>(converted) }
        return Tensor<U>(value: converted, op: DTypeConversion(source: self), inputs: [])
    }
}

/// The op behind `Tensor.to(_:)`: its input lives in another precision's graph, so it
/// holds it directly rather than as an input, and its vector-Jacobian product continues
/// the backward pass there. Not in the registry: the wire format has one dtype per graph.
/// `@unchecked Sendable`: it holds a tensor, which is not, and like the node holding it
/// is used by one task at a time.
struct DTypeConversion<Source: Scalar>: Operator, @unchecked Sendable {
    static var signature: OpSignature {
        OpSignature(name: "to_dtype", arity: .exactly(0), inputs: [], summary: "a tensor converted to another precision")
    }

    let source: Tensor<Source>

    init(source: Tensor<Source>) { self.source = source }

    init(attributes: Attributes) throws(OpError) {
        throw .attribute(name: "source", detail: "to_dtype is made by Tensor.to(_:), not from attributes")
    }

    func outputShape(_ inputs: [[Int]]) throws(OpError) -> [Int] { source.shape }

    func forward<T: Scalar>(_ inputs: [NDArray<T>]) -> NDArray<T> {
        NDArray(shape: source.shape, data: source.value.data.map { T($0) })
    }

    func vjp<T: Scalar>(_ grad: NDArray<T>, inputs: [NDArray<T>], output: NDArray<T>, needs: [Bool]) -> [NDArray<T>?] {
        // The seed has the source's shape, so this backward pass cannot fail.
        try? source.backward(seed: NDArray(shape: grad.shape, data: grad.data.map { Source($0) }))
        return []
    }
}

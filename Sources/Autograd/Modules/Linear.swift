/// A fully connected layer `y = x W + b`, with `W` of shape `[in, out]` and `b` of `[out]`.
public final class Linear<Scalar: Autograd.Scalar>: Module {
    /// The weight, `[in, out]` (the transpose of PyTorch's `nn.Linear.weight`).
    public let W: Tensor<Scalar>
    /// The bias, `[out]`, or `nil` for a layer without one.
    public let b: Tensor<Scalar>?

    /// A layer with the given weight `[in, out]` and optional bias `[out]`, their values in
    /// trainable leaves of the layer's own (as `nn.Parameter(t)`): the caller's tensors are
    /// left as they are, and `layer.W.grad` is where the gradient goes.
    public init(W: Tensor<Scalar>, b: Tensor<Scalar>? = nil) {
        precondition(W.rank == 2, "Linear: W must be [in, out], got \(W.shape)")
        precondition(b == nil || b?.shape == [W.shape[1]], "Linear: b must be [\(W.shape[1])]")
        self.W = .parameter(W)
        self.b = b.map { .parameter($0) }
    }

    /// A layer initialised as PyTorch's `nn.Linear`: W and b uniform in ±1/√inFeatures,
    /// drawn from `generator`.
    public convenience init(
        inFeatures: Int, outFeatures: Int, bias: Bool = true,
        generator: inout some RandomNumberGenerator
    ) {
        let bound = inFeatures > 0 ? 1 / Scalar(inFeatures).squareRoot() : 0
        func uniform(_ n: Int) -> [Scalar] {
            (0..<n).map { _ in Scalar.random(in: -bound...bound, using: &generator) }
        }
        self.init(
            W: Tensor(shape: [inFeatures, outFeatures], scalars: uniform(inFeatures * outFeatures)),
            b: bias ? Tensor(shape: [outFeatures], scalars: uniform(outFeatures)) : nil)
    }

    /// A layer initialised as PyTorch's `nn.Linear`, from a generator seeded with `seed`.
    public convenience init(inFeatures: Int, outFeatures: Int, bias: Bool = true, seed: UInt64 = 0) {
        var generator = SplitMix64(seed: seed)
        self.init(inFeatures: inFeatures, outFeatures: outFeatures, bias: bias, generator: &generator)
    }

    public var parameters: [Tensor<Scalar>] { b.map { [W, $0] } ?? [W] }

    // Specialised: called through `any Module` (Sequential) from another module, a
    // generic call would run unspecialised (issue 21).
    /// `x W + b` for `x` of shape `[..., in]`.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func callAsFunction(_ x: Tensor<Scalar>) -> Tensor<Scalar> { linear(x, W, b) }
}

/// A fully connected layer `y = x W + b`, with `W` of shape `[in, out]` and `b` of `[out]`.
public final class Linear<Scalar: Autograd.Scalar>: Module {
    public let W: Tensor<Scalar>
    public let b: Tensor<Scalar>?

    /// A layer with the given weight `[in, out]` and optional bias `[out]`; both are made
    /// trainable.
    public init(W: Tensor<Scalar>, b: Tensor<Scalar>? = nil) {
        precondition(W.rank == 2, "Linear: W must be [in, out], got \(W.shape)")
        precondition(b == nil || b?.shape == [W.shape[1]], "Linear: b must be [\(W.shape[1])]")
        W.requiresGrad = true
        b?.requiresGrad = true
        self.W = W
        self.b = b
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
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func callAsFunction(_ x: Tensor<Scalar>) -> Tensor<Scalar> { linear(x, W, b) }
}

import RealModule

/// A lookup table of `count` vectors of `dimension` values: `torch.nn.Embedding`. Called
/// on a tensor of integer indices (stored as floats) it returns their rows.
public final class Embedding<Scalar: Autograd.Scalar>: Module {
    /// The table, `[V, D]`: row `i` is the vector of index `i`.
    public let weight: Tensor<Scalar>

    /// A table with the given weight's values `[V, D]` in a trainable leaf of its own
    /// (`weight` itself is left as it is).
    public init(weight: Tensor<Scalar>) {
        precondition(weight.rank == 2, "Embedding: weight must be [V, D], got \(weight.shape)")
        self.weight = .parameter(weight)
    }

    /// A table initialised as `torch.nn.Embedding`: standard normal values (Box–Muller
    /// over `generator`).
    public convenience init(count: Int, dimension: Int, generator: inout some RandomNumberGenerator) {
        self.init(weight: Tensor.randn([count, dimension], generator: &generator))
    }

    /// A table initialised as `torch.nn.Embedding`, from a generator seeded with `seed`.
    public convenience init(count: Int, dimension: Int, seed: UInt64 = 0) {
        var generator = SplitMix64(seed: seed)
        self.init(count: count, dimension: dimension, generator: &generator)
    }

    public var parameters: [Tensor<Scalar>] { [weight] }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func callAsFunction(_ indices: Tensor<Scalar>) -> Tensor<Scalar> { embedding(weight, indices) }
}

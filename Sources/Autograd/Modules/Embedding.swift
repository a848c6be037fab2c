import RealModule

/// A lookup table of `count` vectors of `dimension` values: `torch.nn.Embedding`. Called
/// on a tensor of integer indices (stored as floats) it returns their rows.
public final class Embedding<Scalar: Autograd.Scalar>: Module {
    public let weight: Tensor<Scalar>

    /// A table with the given weight `[V, D]`, made trainable.
    public init(weight: Tensor<Scalar>) {
        precondition(weight.rank == 2, "Embedding: weight must be [V, D], got \(weight.shape)")
        weight.requiresGrad = true
        self.weight = weight
    }

    /// A table initialised as `torch.nn.Embedding`: standard normal values (Box–Muller
    /// over `generator`).
    public convenience init(count: Int, dimension: Int, generator: inout some RandomNumberGenerator) {
        let values = (0..<count * dimension).map { _ -> Scalar in
            let u1 = 1 - Double.random(in: 0..<1, using: &generator)
            let u2 = Double.random(in: 0..<1, using: &generator)
            return Scalar((-2 * Double.log(u1)).squareRoot() * Double.cos(2 * .pi * u2))
        }
        self.init(weight: Tensor(shape: [count, dimension], scalars: values))
    }

    /// A table initialised as `torch.nn.Embedding`, from a generator seeded with `seed`.
    public convenience init(count: Int, dimension: Int, seed: UInt64 = 0) {
        var generator = SplitMix64(seed: seed)
        self.init(count: count, dimension: dimension, generator: &generator)
    }

    public var parameters: [Tensor<Scalar>] { [weight] }

    public func callAsFunction(_ indices: Tensor<Scalar>) -> Tensor<Scalar> { embedding(weight, indices) }
}

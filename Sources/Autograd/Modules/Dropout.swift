/// Dropout as a layer: `torch.nn.Dropout`, with a reproducible mask. In training each call
/// draws a fresh mask seed from the layer's SplitMix64 generator (so the sequence of masks
/// is fixed by `seed`); with `isTraining` false the layer is the identity.
public final class Dropout<Scalar: Autograd.Scalar>: Module {
    public let p: Double
    /// Whether calls drop elements (true, the default) or pass `x` through (evaluation).
    public var isTraining = true
    private var generator: SplitMix64

    /// A layer zeroing elements with probability `p` (in [0, 1]), its masks drawn from
    /// `seed`.
    public init(p: Double = 0.5, seed: UInt64 = 0) {
        precondition((0...1).contains(p), "Dropout: p must be in [0, 1]")
        self.p = p
        self.generator = SplitMix64(seed: seed)
    }

    public var parameters: [Tensor<Scalar>] { [] }

    public func callAsFunction(_ x: Tensor<Scalar>) -> Tensor<Scalar> {
        guard isTraining else { return x }
        // 53 bits, so that the seed is also a valid wire attribute (an exact JSON integer).
        return dropout(x, p: p, seed: generator.next() >> 11)
    }
}

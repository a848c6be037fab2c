/// Inverted dropout with a seeded mask, as `torch.nn.functional.dropout(x, p, training=True)`
/// but reproducible: element `i` is kept when `u_i >= p`, where `u_i` is the `i`-th value
/// of `SplitMix64(seed).nextUnit()` (`(next() >> 11) · 2^-53`, the generator `init` uses),
/// and kept elements are scaled by `1/(1 − p)` (computed in float64, then cast to the
/// dtype). The same seed gives the same mask on every machine; `p = 0` is the identity and
/// `p = 1` gives zeros with a zero gradient, as torch.
public struct DropoutOp: Operator {
    public static let signature = OpSignature(
        name: "dropout", arity: .exactly(1), inputs: ["x"],
        attributes: [
            AttributeSpec("p", .number, default: nil, "probability of zeroing an element (required), in [0, 1]"),
            AttributeSpec("seed", .int, default: nil, "the mask's SplitMix64 seed (required), a non-negative integer"),
        ],
        summary: "elements zeroed with probability p by a seeded SplitMix64 mask, the rest scaled by 1/(1-p)")

    public let p: Double
    public let seed: UInt64

    /// `p` must be in [0, 1].
    public init(p: Double, seed: UInt64) {
        precondition((0...1).contains(p), "dropout: p must be in [0, 1]")
        self.p = p
        self.seed = seed
    }

    public init(attributes: Attributes) throws(OpError) {
        guard attributes["p"] != nil, attributes["p"] != .null else { throw .attribute(name: "p", detail: "is required") }
        guard attributes["seed"] != nil, attributes["seed"] != .null else {
            throw .attribute(name: "seed", detail: "is required")
        }
        let p = try attributes.number("p"), seed = try attributes.int("seed")
        guard (0...1).contains(p) else { throw .attribute(name: "p", detail: "must be between 0 and 1, got \(p)") }
        guard seed >= 0 else { throw .attribute(name: "seed", detail: "must not be negative, got \(seed)") }
        self.init(p: p, seed: UInt64(seed))
    }

    public func outputShape(_ inputs: [[Int]]) throws(OpError) -> [Int] { inputs[0] }

    /// `a` times the scaled mask: the forward pass on `x`, the backward pass on the
    /// upstream gradient (the mask is drawn again rather than stored).
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    func masked<T: Scalar>(_ a: NDArray<T>) -> NDArray<T> {
        guard p < 1 else { return NDArray(repeating: 0, shape: a.shape) }
        guard p > 0 else { return a }
        let scale = T(1 / (1 - p)), p = p
        var g = SplitMix64(seed: seed)
        return a.data.withUnsafeBufferPointer { src in
            NDArray(shape: a.shape) { dst in
                for i in 0..<src.count { dst[i] = g.nextUnit() >= p ? src[i] * scale : 0 }
            }
        }
    }

    public func forward<T: Scalar>(_ x: [NDArray<T>]) -> NDArray<T> { masked(x[0]) }

    // The op is linear in x: the gradient is the upstream one through the same mask and scale.
    public func vjp<T: Scalar>(
        _ grad: NDArray<T>, inputs x: [NDArray<T>], output: NDArray<T>, needs: [Bool]
    ) -> [NDArray<T>?] {
        [masked(grad)]
    }
}

/// `nn.MultiheadAttention(embed_dim, num_heads, batch_first=True)`, with torch's parameter
/// layout so that a state dict exported from torch loads as is: `inProjWeight` `[3E, E]`
/// (q, k and v stacked), `inProjBias` `[3E]`, `outProjWeight` `[E, E]` and `outProjBias`
/// `[E]`, weights `[out, in]` as torch's (the transpose of `Linear`'s `W`).
///
/// Inputs are `[N, L, E]`; each head attends with `scaledDotProductAttention`. It returns
/// the attended output only (torch's `need_weights=False`).
public final class MultiheadAttention<Scalar: Autograd.Scalar>: Module {
    /// The embedding width E (torch's `embed_dim`): the last axis of the inputs and the output,
    /// read from `outProjWeight`'s first axis.
    public let embedDim: Int
    /// The number of heads (torch's `num_heads`); it divides `embedDim`, and each head attends over
    /// `embedDim / numHeads` features.
    public let numHeads: Int
    /// torch's `in_proj_weight`, `[3E, E]`: the query, key and value projections stacked in that
    /// order, each `[out, in]`.
    public let inProjWeight: Tensor<Scalar>
    /// torch's `in_proj_bias`, `[3E]` (query, key and value stacked); nil for a layer without bias
    /// (`bias=False`).
    public let inProjBias: Tensor<Scalar>?
    /// torch's `out_proj.weight`, `[E, E]`, `[out, in]`: the projection applied to the concatenated
    /// heads.
    public let outProjWeight: Tensor<Scalar>
    /// torch's `out_proj.bias`, `[E]`; nil for a layer without bias (`bias=False`).
    public let outProjBias: Tensor<Scalar>?

    /// A layer with the given parameters (torch's shapes), made trainable.
    public init(
        numHeads: Int, inProjWeight: Tensor<Scalar>, inProjBias: Tensor<Scalar>?,
        outProjWeight: Tensor<Scalar>, outProjBias: Tensor<Scalar>?
    ) {
        let e = outProjWeight.shape.first ?? 0
        precondition(numHeads > 0 && e % numHeads == 0, "MultiheadAttention: num_heads must divide embed_dim")
        precondition(inProjWeight.shape == [3 * e, e] && outProjWeight.shape == [e, e], "MultiheadAttention: weights must be [3E, E] and [E, E]")
        precondition(inProjBias == nil || inProjBias?.shape == [3 * e], "MultiheadAttention: in_proj_bias must be [3E]")
        precondition(outProjBias == nil || outProjBias?.shape == [e], "MultiheadAttention: out_proj.bias must be [E]")
        embedDim = e
        self.numHeads = numHeads
        self.inProjWeight = .parameter(inProjWeight)
        self.inProjBias = inProjBias.map { .parameter($0) }
        self.outProjWeight = .parameter(outProjWeight)
        self.outProjBias = outProjBias.map { .parameter($0) }
    }

    /// A layer initialised as torch's: in_proj_weight Xavier-uniform, out_proj.weight
    /// uniform in ±1/√E, biases zero; drawn from `generator`.
    public convenience init(embedDim: Int, numHeads: Int, bias: Bool = true, generator: inout some RandomNumberGenerator) {
        func uniform(_ n: Int, _ bound: Double) -> [Scalar] {
            (0..<n).map { _ in Scalar(Double.random(in: -bound...bound, using: &generator)) }
        }
        let e = embedDim
        let xavier = (6 / Double(e + 3 * e)).squareRoot()
        self.init(
            numHeads: numHeads,
            inProjWeight: Tensor(shape: [3 * e, e], scalars: uniform(3 * e * e, xavier)),
            inProjBias: bias ? Tensor(shape: [3 * e], scalars: [Scalar](repeating: 0, count: 3 * e)) : nil,
            outProjWeight: Tensor(shape: [e, e], scalars: uniform(e * e, e > 0 ? 1 / Double(e).squareRoot() : 0)),
            outProjBias: bias ? Tensor(shape: [e], scalars: [Scalar](repeating: 0, count: e)) : nil)
    }

    /// A layer initialised as torch's, from a generator seeded with `seed`.
    public convenience init(embedDim: Int, numHeads: Int, bias: Bool = true, seed: UInt64 = 0) {
        var generator = SplitMix64(seed: seed)
        self.init(embedDim: embedDim, numHeads: numHeads, bias: bias, generator: &generator)
    }

    public var parameters: [Tensor<Scalar>] { [inProjWeight, inProjBias, outProjWeight, outProjBias].compactMap { $0 } }

    /// Self-attention of `x` `[N, L, E]`.
    public func callAsFunction(_ x: Tensor<Scalar>) -> Tensor<Scalar> { self(x, x, x) }

    /// Attention of `query` `[N, L, E]` over `key` and `value` `[N, S, E]`, with an additive
    /// `attnMask` broadcasting to `[N, H, L, S]` (or `[L, S]`), or a causal mask.
    public func callAsFunction(
        _ query: Tensor<Scalar>, _ key: Tensor<Scalar>, _ value: Tensor<Scalar>,
        attnMask: Tensor<Scalar>? = nil, isCausal: Bool = false
    ) -> Tensor<Scalar> {
        let e = embedDim, h = numHeads, d = e / h
        func project(_ x: Tensor<Scalar>, _ part: Int) -> Tensor<Scalar> {
            let w = inProjWeight.slice(axis: 0, start: part * e, stop: (part + 1) * e)
            let b = inProjBias?.slice(axis: 0, start: part * e, stop: (part + 1) * e)
            let n = x.shape[0], l = x.shape[1]
            // [N, L, E] -> [N, L, H, D] -> [N, H, L, D]
            return linear(x, w.transposed(), b).reshaped([n, l, h, d]).transposed([0, 2, 1, 3])
        }
        let q = project(query, 0), k = project(key, 1), v = project(value, 2)
        let o = scaledDotProductAttention(q, k, v, mask: attnMask, isCausal: isCausal)
        let n = query.shape[0], l = query.shape[1]
        let merged = o.transposed([0, 2, 1, 3]).reshaped([n, l, e])
        return linear(merged, outProjWeight.transposed(), outProjBias)
    }
}

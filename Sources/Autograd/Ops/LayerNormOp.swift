/// Layer normalisation over the trailing `normalized_shape` axes, as `F.layer_norm`:
/// `(x − mean) / sqrt(var + eps) · weight + bias`, var biased.
///
/// A hand VJP rather than a composition of mean, sub, mul and rsqrt: the standard backward
/// formula `dx = rstd · (ĝ − mean(ĝ) − x̂ · mean(ĝ · x̂))`, `ĝ = g · weight`, is one pass over
/// each row with the mean and rstd saved by the forward pass, where a composition would
/// record eight ops, keep as many full-size temporaries and sum back through broadcasts.
public struct LayerNormOp: SavingOperator {
    public static let signature = OpSignature(
        name: "layer_norm", arity: .range(1, 3), inputs: ["x", "weight", "bias"],
        attributes: [
            normalizedShapeSpec,
            varianceEpsAttribute,
        ],
        summary: "layer normalisation over the trailing normalized_shape, with optional weight and bias of that shape",
        pytorch: "torch.nn.functional.layer_norm(x, normalized_shape, weight, bias, eps=eps)",
        shapeRule: "the shape of x, which must end in normalized_shape; weight and bias have the shape normalized_shape",
        notes: "biased variance; a bias needs a weight (inputs are positional); hand VJP with the saved mean and 1/std")

    /// The trailing axes normalised over (`normalized_shape`): x must end in it, and weight and
    /// bias have it as their shape.
    public let normalizedShape: [Int]
    /// Added to the biased variance before the square root; default 1e-5, as torch.
    public let eps: Double

    /// The op as `F.layer_norm(x, normalized_shape, weight, bias, eps=eps)`.
    public init(normalizedShape: [Int], eps: Double = 1e-5) {
        self.normalizedShape = normalizedShape
        self.eps = eps
    }

    public init(attributes: Attributes) throws(OpError) {
        self.init(normalizedShape: try normalizedShapeAttribute(attributes), eps: try attributes.number("eps"))
    }

    public func outputShape(_ inputs: [[Int]]) throws(OpError) -> [Int] {
        _ = try checkNormalizedShape("layer_norm", inputs, normalized: normalizedShape, affineNames: ["weight", "bias"])
        return inputs[0]
    }

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func forward<T: Scalar>(_ x: [NDArray<T>], saving needs: [Bool]) -> (NDArray<T>, [NDArray<T>?]) {
        guard let (rows, n) = try? checkNormalizedShape("layer_norm", x.map(\.shape), normalized: normalizedShape, affineNames: ["weight", "bias"])
        else { return (x[0], []) }
        let (mean, rstd) = rowMoments(x[0].data, rows: rows, n: n, center: true, eps: T(eps))
        let y = normalizeRows(
            x[0].data, mean: mean, rstd: rstd, rows: rows, n: n,
            weight: x.count > 1 ? x[1].data : nil, bias: x.count > 2 ? x[2].data : nil, period: 1)
        return (NDArray(shape: x[0].shape, data: y), [NDArray(shape: [rows], data: mean), NDArray(shape: [rows], data: rstd)])
    }

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func vjp<T: Scalar>(
        _ grad: NDArray<T>, inputs x: [NDArray<T>], output: NDArray<T>, saved: [NDArray<T>?], needs: [Bool]
    ) -> [NDArray<T>?] {
        guard let (rows, n) = try? checkNormalizedShape("layer_norm", x.map(\.shape), normalized: normalizedShape, affineNames: ["weight", "bias"]),
            saved.count == 2, let mean = saved[0], let rstd = saved[1]
        else { return needs.map { _ in nil } }
        let affine = needs.dropFirst().contains(true)
        let (dx, gxhat, gsum) = normalizeRowsBackward(
            grad.data, x[0].data, mean: mean.data, rstd: rstd.data, rows: rows, n: n, center: true,
            weight: x.count > 1 ? x[1].data : nil, period: 1, needX: needs[0], needAffine: affine)
        var result: [NDArray<T>?] = [dx.map { NDArray(shape: x[0].shape, data: $0) }]
        if x.count > 1 { result.append(needs[1] ? gxhat.map { NDArray(shape: x[1].shape, data: $0) } : nil) }
        if x.count > 2 { result.append(needs[2] ? gsum.map { NDArray(shape: x[2].shape, data: $0) } : nil) }
        return result
    }
}

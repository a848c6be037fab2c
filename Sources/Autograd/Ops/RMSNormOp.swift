/// Root-mean-square normalisation over the trailing `normalized_shape` axes, as
/// `F.rms_norm`: `x / sqrt(mean(x²) + eps) · weight`, with `eps` null meaning the dtype's
/// machine epsilon (torch.finfo(dtype).eps).
///
/// A hand VJP for the reason layer_norm has one: `dx = r · (ĝ − x̂ · mean(ĝ · x̂))` with the
/// saved `r = 1/sqrt(mean(x²) + eps)` is one pass per row (the layer_norm kernel without
/// centring).
public struct RMSNormOp: SavingOperator {
    public static let signature = OpSignature(
        name: "rms_norm", arity: .range(1, 2), inputs: ["x", "weight"],
        attributes: [
            normalizedShapeSpec,
            AttributeSpec("eps", .optionalNumber, default: .null, "added to the mean square; null: the dtype's machine epsilon"),
        ],
        summary: "RMS normalisation over the trailing normalized_shape, with an optional weight of that shape",
        pytorch: "torch.nn.functional.rms_norm(x, normalized_shape, weight, eps=eps)",
        shapeRule: "the shape of x, which must end in normalized_shape; weight has the shape normalized_shape",
        notes: "eps null is torch.finfo(dtype).eps of the request's dtype")

    /// The trailing axes normalised over (`normalized_shape`): x must end in it, and the weight has
    /// it as its shape.
    public let normalizedShape: [Int]
    /// nil: `T.ulpOfOne` of the computing precision.
    public let eps: Double?

    /// The op as `F.rms_norm(x, normalized_shape, weight, eps=eps)`; `eps` nil is the machine
    /// epsilon of the precision computed in.
    public init(normalizedShape: [Int], eps: Double? = nil) {
        self.normalizedShape = normalizedShape
        self.eps = eps
    }

    public init(attributes: Attributes) throws(OpError) {
        self.init(normalizedShape: try normalizedShapeAttribute(attributes), eps: try attributes.optionalNumber("eps"))
    }

    public func outputShape(_ inputs: [[Int]]) throws(OpError) -> [Int] {
        _ = try checkNormalizedShape("rms_norm", inputs, normalized: normalizedShape, affineNames: ["weight"])
        return inputs[0]
    }

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func forward<T: Scalar>(_ x: [NDArray<T>], saving needs: [Bool]) -> (NDArray<T>, [NDArray<T>?]) {
        guard let (rows, n) = try? checkNormalizedShape("rms_norm", x.map(\.shape), normalized: normalizedShape, affineNames: ["weight"])
        else { return (x[0], []) }
        let (mean, rstd) = rowMoments(x[0].data, rows: rows, n: n, center: false, eps: eps.map { T($0) } ?? T.ulpOfOne)
        let y = normalizeRows(
            x[0].data, mean: mean, rstd: rstd, rows: rows, n: n, weight: x.count > 1 ? x[1].data : nil, bias: nil, period: 1)
        return (NDArray(shape: x[0].shape, data: y), [NDArray(shape: [rows], data: rstd)])
    }

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func vjp<T: Scalar>(
        _ grad: NDArray<T>, inputs x: [NDArray<T>], output: NDArray<T>, saved: [NDArray<T>?], needs: [Bool]
    ) -> [NDArray<T>?] {
        guard let (rows, n) = try? checkNormalizedShape("rms_norm", x.map(\.shape), normalized: normalizedShape, affineNames: ["weight"]),
            saved.count == 1, let rstd = saved[0]
        else { return needs.map { _ in nil } }
        let (dx, gxhat, _) = normalizeRowsBackward(
            grad.data, x[0].data, mean: [T](repeating: 0, count: rows), rstd: rstd.data, rows: rows, n: n, center: false,
            weight: x.count > 1 ? x[1].data : nil, period: 1, needX: needs[0], needAffine: x.count > 1 && needs[1])
        var result: [NDArray<T>?] = [dx.map { NDArray(shape: x[0].shape, data: $0) }]
        if x.count > 1 { result.append(gxhat.map { NDArray(shape: x[1].shape, data: $0) }) }
        return result
    }
}

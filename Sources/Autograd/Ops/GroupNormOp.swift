/// Group normalisation, as `F.group_norm`: x `[N, C, *]`, its channels split into
/// `num_groups` groups each normalised over its channels and positions, then scaled and
/// shifted per channel by weight `[C]` and bias `[C]`.
///
/// A hand VJP, the layer_norm kernel's: a group of one sample is a contiguous row in NCHW,
/// so the rows are the `N · num_groups` groups and the per-channel weight repeats every
/// `num_groups` rows.
public struct GroupNormOp: SavingOperator {
    public static let signature = OpSignature(
        name: "group_norm", arity: .range(1, 3), inputs: ["x", "weight", "bias"],
        attributes: [
            AttributeSpec("num_groups", .int, default: nil, "groups the channels are split into (required; divides C)"),
            varianceEpsAttribute,
        ],
        summary: "group normalisation of x [N, C, *] over num_groups groups of channels, weight and bias [C]",
        pytorch: "torch.nn.functional.group_norm(x, num_groups, weight, bias, eps=eps)",
        shapeRule: "the shape of x [N, C, *]; num_groups must divide C (else a 422 at the attribute); weight and bias [C]",
        notes: "weight and bias may be left out, as torch; a bias needs a weight")

    /// The groups the channels are split into (`num_groups`): positive, and it must divide C (else
    /// an attribute error at `num_groups`).
    public let numGroups: Int
    /// Added to each group's biased variance before the square root; default 1e-5, as torch.
    public let eps: Double

    /// The op as `F.group_norm(x, num_groups, weight, bias, eps=eps)`.
    public init(numGroups: Int, eps: Double = 1e-5) {
        self.numGroups = numGroups
        self.eps = eps
    }

    public init(attributes: Attributes) throws(OpError) {
        guard attributes["num_groups"] != nil && attributes["num_groups"] != .null else {
            throw .attribute(name: "num_groups", detail: "is required")
        }
        let g = try attributes.int("num_groups")
        guard g > 0 else { throw .attribute(name: "num_groups", detail: "must be positive, got \(g)") }
        self.init(numGroups: g, eps: try attributes.number("eps"))
    }

    /// Rows (groups), row length, channels, positions per channel.
    private func layout(_ inputs: [[Int]]) throws(OpError) -> (rows: Int, n: Int, c: Int, spatial: Int) {
        let x = inputs[0]
        guard x.count >= 2 else { throw .shape("group_norm: x must be [N, C, *], got \(Shape.describe(x))") }
        let c = x[1]
        // c > 0 and num_groups dividing it bound num_groups by c (rows = N · num_groups are allocated).
        guard c > 0, c % numGroups == 0 else {
            throw .attribute(name: "num_groups", detail: "\(numGroups) does not divide the \(c) channels of x \(Shape.describe(x))")
        }
        for i in 1..<inputs.count where inputs[i] != [c] {
            throw .input(index: i, detail: "group_norm: \(i == 1 ? "weight" : "bias") must be [\(c)], got \(Shape.describe(inputs[i]))")
        }
        let spatial = x.dropFirst(2).reduce(1, &*)
        return (x[0] &* numGroups, (c / numGroups) &* spatial, c, spatial)
    }

    public func outputShape(_ inputs: [[Int]]) throws(OpError) -> [Int] {
        _ = try layout(inputs)
        return inputs[0]
    }

    /// A per-channel vector expanded to one value per element of a sample, `[C · spatial]`:
    /// the `num_groups` blocks of the row kernels.
    private func expand<T>(_ v: [T], spatial: Int) -> [T] {
        v.flatMap { repeatElement($0, count: spatial) }
    }

    /// The per-element sums folded back to channels.
    private func fold<T: Scalar>(_ v: [T], c: Int, spatial: Int) -> [T] {
        (0..<c).map { ch in
            var s: T = 0
            for i in 0..<spatial { s += v[ch * spatial + i] }
            return s
        }
    }

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func forward<T: Scalar>(_ x: [NDArray<T>], saving needs: [Bool]) -> (NDArray<T>, [NDArray<T>?]) {
        guard let (rows, n, _, spatial) = try? layout(x.map(\.shape)) else { return (x[0], []) }
        let (mean, rstd) = rowMoments(x[0].data, rows: rows, n: n, center: true, eps: T(eps))
        let y = normalizeRows(
            x[0].data, mean: mean, rstd: rstd, rows: rows, n: n,
            weight: x.count > 1 ? expand(x[1].data, spatial: spatial) : nil,
            bias: x.count > 2 ? expand(x[2].data, spatial: spatial) : nil, period: numGroups)
        return (NDArray(shape: x[0].shape, data: y), [NDArray(shape: [rows], data: mean), NDArray(shape: [rows], data: rstd)])
    }

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func vjp<T: Scalar>(
        _ grad: NDArray<T>, inputs x: [NDArray<T>], output: NDArray<T>, saved: [NDArray<T>?], needs: [Bool]
    ) -> [NDArray<T>?] {
        guard let (rows, n, c, spatial) = try? layout(x.map(\.shape)), saved.count == 2,
            let mean = saved[0], let rstd = saved[1]
        else { return needs.map { _ in nil } }
        let (dx, gxhat, gsum) = normalizeRowsBackward(
            grad.data, x[0].data, mean: mean.data, rstd: rstd.data, rows: rows, n: n, center: true,
            weight: x.count > 1 ? expand(x[1].data, spatial: spatial) : nil, period: numGroups,
            needX: needs[0], needAffine: needs.dropFirst().contains(true))
        var result: [NDArray<T>?] = [dx.map { NDArray(shape: x[0].shape, data: $0) }]
        if x.count > 1 { result.append(needs[1] ? gxhat.map { NDArray(shape: [c], data: fold($0, c: c, spatial: spatial)) } : nil) }
        if x.count > 2 { result.append(needs[2] ? gsum.map { NDArray(shape: [c], data: fold($0, c: c, spatial: spatial)) } : nil) }
        return result
    }
}

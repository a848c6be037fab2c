/// Scaled dot-product attention, as `F.scaled_dot_product_attention`:
/// `softmax(q kᵀ · scale + mask) v` over q `[..., L, E]`, k `[..., S, E]`, v `[..., S, Ev]`
/// (the same leading axes), with an optional additive mask broadcasting to `[..., L, S]`
/// (−Infinity allowed; a boolean mask is sent as 0 / −Infinity), `is_causal` masking the
/// upper triangle aligned at the top left (torch's `tril(ones(L, S))`), `scale` null
/// meaning `1/sqrt(E)`. A row with every position masked gives zeros and zero gradients,
/// as torch 2.15 does.
///
/// A hand VJP through batched gemm rather than a composition of matmul, transpose, mul,
/// add and softmax: the forward pass saves the attention probabilities P and the backward
/// pass is four gemms per batch element (dV = Pᵀ dO, dP = dO vᵀ, dq = dS k · scale,
/// dk = dSᵀ q · scale) around one pass over P (dS = P ⊙ (dP − rowsum(dP ⊙ P))), with no
/// transposed copies, no broadcast mask materialised in the backward pass, and no graph
/// nodes for the intermediates.
public struct ScaledDotProductAttention: SavingOperator {
    public static let signature = OpSignature(
        name: "scaled_dot_product_attention", arity: .range(3, 4), inputs: ["q", "k", "v", "mask"],
        attributes: [
            AttributeSpec("is_causal", .bool, default: .bool(false), "mask positions after the query's (top-left aligned); no mask input then"),
            AttributeSpec("scale", .optionalNumber, default: .null, "multiplies q kᵀ; null: 1/sqrt(E)"),
        ],
        summary: "softmax(q kᵀ · scale + mask) v over q [..., L, E], k [..., S, E], v [..., S, Ev], mask broadcasting to [..., L, S]",
        pytorch: "torch.nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=mask, is_causal=is_causal, scale=scale)",
        shapeRule: "[..., L, Ev]; q, k and v of one rank (at least 2) with the same leading axes; the scores [..., L, S] at most 2^28 elements",
        notes: "mask additive (a boolean mask is sent as 0 / -Infinity); is_causal keeps j <= i (top-left aligned, torch's tril) and excludes a mask input; a row with every key masked gives zeros and zero gradients, as torch 2.15; leading axes are not broadcast between q, k and v")

    /// The most attention scores (batch · L · S) one op may hold: the scores are an
    /// intermediate the graph's element limit does not see.
    public static let maxScores = 1 << 28

    /// Masks the keys after each query's position (keeps j ≤ i, top-left aligned, torch's
    /// `tril(ones(L, S))`); excludes a mask input. Default false.
    public let isCausal: Bool
    /// Multiplies `q kᵀ` before the softmax; nil (the default) is `1/sqrt(E)`, as torch.
    public let scale: Double?

    /// The op as `F.scaled_dot_product_attention(q, k, v, attn_mask=mask, is_causal=isCausal,
    /// scale=scale)`.
    public init(isCausal: Bool = false, scale: Double? = nil) {
        self.isCausal = isCausal
        self.scale = scale
    }

    public init(attributes: Attributes) throws(OpError) {
        self.init(isCausal: try attributes.bool("is_causal"), scale: try attributes.optionalNumber("scale"))
    }

    struct Layout {
        let batch: Int, l: Int, s: Int, e: Int, ev: Int
        let scoreShape: [Int]
    }

    func layout(_ inputs: [[Int]]) throws(OpError) -> Layout {
        let q = inputs[0], k = inputs[1], v = inputs[2]
        guard q.count >= 2, k.count == q.count, v.count == q.count else {
            throw .shape(
                "scaled_dot_product_attention: q, k and v must have the same rank, at least 2, got q \(Shape.describe(q)), k \(Shape.describe(k)), v \(Shape.describe(v))")
        }
        let lead = Array(q.dropLast(2))
        guard Array(k.dropLast(2)) == lead, Array(v.dropLast(2)) == lead else {
            throw .shape(
                "scaled_dot_product_attention: q, k and v must have the same leading axes, got q \(Shape.describe(q)), k \(Shape.describe(k)), v \(Shape.describe(v))")
        }
        let l = q[q.count - 2], e = q[q.count - 1], s = k[k.count - 2]
        guard k[k.count - 1] == e else {
            throw .shape("scaled_dot_product_attention: k's last axis \(k[k.count - 1]) differs from q's \(e)")
        }
        guard v[v.count - 2] == s else {
            throw .shape("scaled_dot_product_attention: v has \(v[v.count - 2]) positions, k has \(s)")
        }
        let scoreShape = lead + [l, s]
        guard let scores = Shape.count(scoreShape), scores <= Self.maxScores else {
            throw .shape("scaled_dot_product_attention: the scores \(Shape.describe(scoreShape)) would hold more than \(Self.maxScores) elements")
        }
        if inputs.count == 4 {
            if isCausal {
                throw .attribute(name: "is_causal", detail: "cannot be true with a mask input (torch refuses both)")
            }
            guard inputs[3].count <= scoreShape.count, Shape.broadcast(inputs[3], scoreShape) == scoreShape else {
                throw .input(
                    index: 3,
                    detail: "scaled_dot_product_attention: the mask \(Shape.describe(inputs[3])) does not broadcast to the scores \(Shape.describe(scoreShape))")
            }
        }
        return Layout(batch: lead.reduce(1, &*), l: l, s: s, e: e, ev: v[v.count - 1], scoreShape: scoreShape)
    }

    public func outputShape(_ inputs: [[Int]]) throws(OpError) -> [Int] {
        let t = try layout(inputs)
        return Array(inputs[0].dropLast()) + [t.ev]
    }

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func forward<T: Scalar>(_ x: [NDArray<T>], saving needs: [Bool]) -> (NDArray<T>, [NDArray<T>?]) {
        guard let t = try? layout(x.map(\.shape)) else { return (x[0], []) }
        let (batch, l, s, e, ev) = (t.batch, t.l, t.s, t.e, t.ev)
        let alpha = T(scale ?? 1 / Double(e).squareRoot())
        // P = q kᵀ · scale, then + mask, then row softmax.
        var p = [T](repeating: 0, count: batch * l * s)
        if x.count == 4 {
            p = x[3].broadcast(to: t.scoreShape).data
        }
        let beta: T = x.count == 4 ? 1 : 0
        x[0].data.withUnsafeBufferPointer { qb in
            x[1].data.withUnsafeBufferPointer { kb in
                p.withUnsafeMutableBufferPointer { pb in
                    guard let qp = qb.baseAddress, let kp = kb.baseAddress, let pp = pb.baseAddress, l > 0, s > 0 else { return }
                    Parallel.forEachItem(batch, parallelFrom: itemsInParallel(t)) { b in
                        if e > 0 {
                            T.gemm(
                                transA: false, transB: true, m: l, n: s, k: e, alpha: alpha,
                                a: qp + b * l * e, lda: e, b: kp + b * s * e, ldb: e, beta: beta, c: pp + b * l * s, ldc: s)
                        }
                        softmaxRows(pp + b * l * s, l: l, s: s)
                    }
                }
            }
        }
        var out = [T](repeating: 0, count: batch * l * ev)
        p.withUnsafeBufferPointer { pb in
            x[2].data.withUnsafeBufferPointer { vb in
                out.withUnsafeMutableBufferPointer { ob in
                    guard let pp = pb.baseAddress, let vp = vb.baseAddress, let op = ob.baseAddress, l > 0, s > 0, ev > 0
                    else { return }
                    Parallel.forEachItem(batch, parallelFrom: itemsInParallel(t)) { b in
                        T.gemm(
                            transA: false, transB: false, m: l, n: ev, k: s, alpha: 1,
                            a: pp + b * l * s, lda: s, b: vp + b * s * ev, ldb: ev, beta: 0, c: op + b * l * ev, ldc: ev)
                    }
                }
            }
        }
        return (NDArray(shape: Array(x[0].shape.dropLast()) + [ev], data: out), [NDArray(shape: t.scoreShape, data: p)])
    }

    /// The batch size from which the (batch, head) pairs run on the computation's threads:
    /// each pair's products and softmax are independent of the others' and write only its
    /// own blocks, so the bytes do not depend on the split; a pair must be worth about a
    /// million multiply-adds together for a second thread to pay.
    private func itemsInParallel(_ t: Layout) -> Int {
        let perItem = t.l * t.s * Swift.max(1, t.e, t.ev)
        return t.batch * perItem >= 1 << 20 ? 2 : t.batch + 1
    }

    /// Row-wise softmax in place, with the causal mask applied first; a row whose every
    /// score is −∞ (or masked) becomes zeros, as torch's safe softmax.
    @inline(__always)
    private func softmaxRows<T: Scalar>(_ p: UnsafeMutablePointer<T>, l: Int, s: Int) {
        for i in 0..<l {
            let row = p + i * s
            let visible = isCausal ? min(i + 1, s) : s
            var m = -T.infinity
            for j in 0..<visible where row[j] > m { m = row[j] }
            guard m > -T.infinity else {
                for j in 0..<s { row[j] = 0 }
                continue
            }
            // exp through the vectorised kernel, the sum with eight accumulators (BlockSum):
            // a single chain of adds kept the loop from vectorising at all.
            for j in 0..<visible { row[j] = row[j] - m }
            CPUKernels.expNonPositive(row, row, visible)
            var sum = BlockSum<T>()
            sum.add(UnsafeBufferPointer(start: row, count: visible))
            let inv = 1 / sum.total
            for j in 0..<visible { row[j] *= inv }
            for j in visible..<s { row[j] = 0 }
        }
    }

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func vjp<T: Scalar>(
        _ grad: NDArray<T>, inputs x: [NDArray<T>], output: NDArray<T>, saved: [NDArray<T>?], needs: [Bool]
    ) -> [NDArray<T>?] {
        guard let t = try? layout(x.map(\.shape)), saved.count == 1, let probs = saved[0] else {
            return needs.map { _ in nil }
        }
        let (batch, l, s, e, ev) = (t.batch, t.l, t.s, t.e, t.ev)
        let alpha = T(scale ?? 1 / Double(e).squareRoot())
        var dq = [T](repeating: 0, count: needs[0] ? batch * l * e : 0)
        var dk = [T](repeating: 0, count: needs[1] ? batch * s * e : 0)
        var dv = [T](repeating: 0, count: needs[2] ? batch * s * ev : 0)
        let needScores = needs[0] || needs[1] || (x.count == 4 && needs[3])
        // dP, then dS in place.
        var ds = [T](repeating: 0, count: needScores ? batch * l * s : 0)
        grad.data.withUnsafeBufferPointer { gb in
            probs.data.withUnsafeBufferPointer { pb in
                x[0].data.withUnsafeBufferPointer { qb in
                    x[1].data.withUnsafeBufferPointer { kb in
                        x[2].data.withUnsafeBufferPointer { vb in
                            dq.withUnsafeMutableBufferPointer { dqb in
                                dk.withUnsafeMutableBufferPointer { dkb in
                                    dv.withUnsafeMutableBufferPointer { dvb in
                                        ds.withUnsafeMutableBufferPointer { dsb in
                                            guard let g = gb.baseAddress, let p = pb.baseAddress, let q = qb.baseAddress,
                                                let k = kb.baseAddress, let v = vb.baseAddress, l > 0, s > 0
                                            else { return }
                                            // Each (batch, head) writes its own blocks of dV, dS, dQ and dK.
                                            Parallel.forEachItem(batch, parallelFrom: itemsInParallel(t)) { b in
                                                let gB = g + b * l * ev, pB = p + b * l * s
                                                if needs[2], ev > 0, let dvp = dvb.baseAddress {
                                                    T.gemm(
                                                        transA: true, transB: false, m: s, n: ev, k: l, alpha: 1,
                                                        a: pB, lda: s, b: gB, ldb: ev, beta: 0, c: dvp + b * s * ev, ldc: ev)
                                                }
                                                guard needScores, let dsp = dsb.baseAddress else { return }
                                                let dsB = dsp + b * l * s
                                                if ev > 0 {
                                                    T.gemm(
                                                        transA: false, transB: true, m: l, n: s, k: ev, alpha: 1,
                                                        a: gB, lda: ev, b: v + b * s * ev, ldb: ev, beta: 0, c: dsB, ldc: s)
                                                }
                                                for i in 0..<l {
                                                    let pr = pB + i * s, dr = dsB + i * s
                                                    var dot: T = 0
                                                    for j in 0..<s { dot += pr[j] * dr[j] }
                                                    for j in 0..<s { dr[j] = pr[j] * (dr[j] - dot) }
                                                }
                                                guard e > 0 else { return }
                                                if needs[0], let dqp = dqb.baseAddress {
                                                    T.gemm(
                                                        transA: false, transB: false, m: l, n: e, k: s, alpha: alpha,
                                                        a: dsB, lda: s, b: k + b * s * e, ldb: e, beta: 0, c: dqp + b * l * e, ldc: e)
                                                }
                                                if needs[1], let dkp = dkb.baseAddress {
                                                    T.gemm(
                                                        transA: true, transB: false, m: s, n: e, k: l, alpha: alpha,
                                                        a: dsB, lda: s, b: q + b * l * e, ldb: e, beta: 0, c: dkp + b * s * e, ldc: e)
                                                }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        var result: [NDArray<T>?] = [
            needs[0] ? NDArray(shape: x[0].shape, data: dq) : nil,
            needs[1] ? NDArray(shape: x[1].shape, data: dk) : nil,
            needs[2] ? NDArray(shape: x[2].shape, data: dv) : nil,
        ]
        // The mask's gradient is dS in the scores' shape; the engine sums it down to the mask's.
        if x.count == 4 { result.append(needs[3] ? NDArray(shape: t.scoreShape, data: ds) : nil) }
        return result
    }
}

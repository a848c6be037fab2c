// Scaled dot-product attention's differentiable vector-Jacobian product, by its
// decomposition (`composedVJP`): softmax(q kᵀ · scale + mask) v as transpose, matmul, mul,
// add and softmax. The first-order path keeps the op's batched-gemm kernel.

private typealias R = Recorded

extension ScaledDotProductAttention: DifferentiableOperator {
    // −∞ in the scores (a masked position, or the causal mask) becomes the most negative
    // finite value: its probability is still exactly 0 and no ∞ − ∞ reaches a derivative. A
    // row whose every score is masked is multiplied by 0 after the softmax: its output and
    // every gradient through it are 0, as the op gives.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func differentiableVJP<T: Scalar>(
        _ grad: Tensor<T>, inputs x: [Tensor<T>], output: Tensor<T>, needs: [Bool]
    ) throws(OpError) -> [Tensor<T>?] {
        let t = try layout(x.map(\.shape))
        let rank = x[0].rank
        let alpha = T(scale ?? 1 / Double(t.e).squareRoot())
        let lowest = -T.greatestFiniteMagnitude
        var perm = Array(0..<rank)
        perm.swapAt(rank - 1, rank - 2)

        // The additive mask as values: the input's, or the causal one, or none.
        var maskValues: NDArray<T>?
        if x.count == 4 {
            maskValues = x[3].value
        } else if isCausal {
            var m = [T](repeating: 0, count: t.l * t.s)
            for i in 0..<t.l { for j in 0..<t.s where j > i { m[i * t.s + j] = -.infinity } }
            maskValues = NDArray(shape: [t.l, t.s], data: m)
        }
        // A row is dead when no score in it is above −∞, as the forward pass decides.
        var alive: NDArray<T>?
        if let maskValues {
            let full = maskValues.broadcast(to: t.scoreShape).data
            var rows = [T](repeating: 1, count: t.batch * t.l)
            for r in 0..<rows.count where !full[(r * t.s)..<((r + 1) * t.s)].contains(where: { $0 > -.infinity }) {
                rows[r] = 0
            }
            if t.s > 0 && rows.contains(0) { alive = NDArray(shape: Array(t.scoreShape.dropLast()) + [1], data: rows) }
        }
        // The mask enters as recorded (finite values), as a constant with −∞ made finite
        // (no gradient wanted), or through `where` (a gradient wanted, −∞ present).
        let finite = maskValues.map { m in m.map { $0 > -.infinity ? $0 : lowest } }
        let hasInfinity = maskValues?.data.contains { !($0 > -.infinity) } ?? false
        let wantsMaskGradient = x.count == 4 && needs[3]
        let constantMask = !wantsMaskGradient && (hasInfinity || isCausal) ? finite : nil
        let keep = wantsMaskGradient && hasInfinity ? maskValues.map { m in m.map { $0 > -.infinity ? T(1) : 0 } } : nil

        return try composedVJP(grad, inputs: x, needs: needs) { (v) throws(OpError) in
            var s = try R.mul(Tensor.apply(MatMul(), [v[0], Tensor.apply(Transpose(perm: perm), [v[1]])]), R.constant(alpha))
            if let keep, v.count == 4 {
                s = try R.add(s, Tensor.apply(Where(), [R.constant(keep), v[3], R.constant(lowest)]))
            } else if let constantMask {
                s = try R.add(s, R.constant(constantMask))
            } else if v.count == 4 {
                s = try R.add(s, v[3])
            }
            var p = try Tensor.apply(Softmax(axis: -1), [s])
            if let alive { p = try R.mul(p, R.constant(alive)) }
            return try Tensor.apply(MatMul(), [p, v[2]])
        }
    }
}

// Gradients added where they land. Outside a recording (the second pass of a
// Hessian-vector product, `hvp(of:wrt:vectors:)`), the create-graph pass adds each input's
// gradient to the one gathered so far with an `add`: a pass that reads both arrays and
// writes a third. A matrix product can instead add its result to that array as it computes
// it (gemm's beta = 1), and `sum_to`'s broadcast can be added in place, row by row.
// W8's second pass gathers five [128, 512] gradients and a [512, 512] one from two or
// three contributions each.

/// An op whose input gradients, outside a recording, can be added straight into the
/// gradients already gathered for its inputs.
protocol AccumulatingVJP: DifferentiableOperator {
    /// The values `differentiableVJP` would give (nil where `needs[i]` is false), with
    /// `sums[i]` (the gradient gathered so far for input `i`, of its shape, or nil) added
    /// where the op can: it takes `sums[i]`, leaving nil, and returns the sum in place of
    /// the gradient. Where it cannot it leaves `sums[i]` and returns the gradient alone,
    /// possibly of the output's broadcast shape, as `differentiableVJP` may.
    func vjp<T: Scalar>(
        _ grad: NDArray<T>, inputs: [NDArray<T>], output: NDArray<T>, needs: [Bool], adding sums: inout [NDArray<T>?]
    ) -> [NDArray<T>?]
}

/// `op` as an `AccumulatingVJP`, found by its concrete type; a conformer is added here
/// (`recordedGradients` asserts the two agree in debug builds). Not `op as? any
/// AccumulatingVJP`: that cast fails for most ops, and a failing cast to a protocol cost
/// about 8,000 instructions each (callgrind: the runtime's walk over the conformance
/// records, every time), asked of every node of W8's second pass: 400,000 instructions
/// per Hessian-vector product, a sixth of all outside its products.
func accumulatingVJP(of op: any Operator) -> (any AccumulatingVJP)? {
    switch op {
    case let op as MatMulTransposed: op
    case let op as LinearOp: op
    case let op as LinearTransposedOp: op
    case let op as SumTo: op
    default: nil
    }
}

extension MatMulTransposed: AccumulatingVJP {
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    func vjp<T: Scalar>(
        _ grad: NDArray<T>, inputs x: [NDArray<T>], output: NDArray<T>, needs: [Bool], adding sums: inout [NDArray<T>?]
    ) -> [NDArray<T>?] {
        let (ga, gb) = gradientOps
        let xa = ga.swapped ? [x[1], grad] : [grad, x[1]], xb = gb.swapped ? [grad, x[0]] : [x[0], grad]
        let oa = needs[0] ? ga.op.operands(xa[0], xa[1]) : nil
        let ob = needs[1] ? gb.op.operands(xb[0], xb[1]) : nil
        // Batched products (more than two matrices): each through the op's forward pass,
        // its result of the broadcast batch, added to nothing.
        guard needs[0] == (oa != nil) && needs[1] == (ob != nil) else {
            return [needs[0] ? ga.op.forward(xa) : nil, needs[1] ? gb.op.forward(xb) : nil]
        }
        if let oa, let ob {
            var pair = (sums[0].take(), sums[1].take())
            let (da, db) = gemmPair(oa, ob, adding: &pair)
            (sums[0], sums[1]) = pair
            return [da.reshaped(x[0].shape), db.reshaped(x[1].shape)]
        }
        var result: [NDArray<T>?] = [nil, nil]
        if let oa { result[0] = oa.product(adding: &sums[0]).reshaped(x[0].shape) }
        if let ob { result[1] = ob.product(adding: &sums[1]).reshaped(x[1].shape) }
        return result
    }
}

/// `linear` and `linear_transposed`, whose products (`LinearProduct`) differ only in how
/// the weight is read.
protocol LinearProductOperator: AccumulatingVJP {
    /// Whether the weight is `[out, in]`, read transposed.
    static var weightTransposed: Bool { get }
}

extension LinearProductOperator {
    // Generic, but all it does is move the sums in and out: `LinearProduct.vjp` is
    // specialised.
    func vjp<T: Scalar>(
        _ grad: NDArray<T>, inputs x: [NDArray<T>], output: NDArray<T>, needs: [Bool], adding sums: inout [NDArray<T>?]
    ) -> [NDArray<T>?] {
        var pair = (sums[0].take(), sums[1].take())
        defer { (sums[0], sums[1]) = pair }
        return LinearProduct.vjp(grad, x, needs: needs, transposed: Self.weightTransposed, adding: &pair)
    }
}

extension LinearOp: LinearProductOperator {
    static var weightTransposed: Bool { false }
}

extension LinearTransposedOp: LinearProductOperator {
    static var weightTransposed: Bool { true }
}

extension SumTo: AccumulatingVJP {
    // The gradient is `grad` broadcast back to the input's shape; when `shape` is a
    // trailing part of it (a bias's [out] from [batch, out]), it is added to the sum row
    // by row, the same additions `add` of the broadcast array makes.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    func vjp<T: Scalar>(
        _ grad: NDArray<T>, inputs x: [NDArray<T>], output: NDArray<T>, needs: [Bool], adding sums: inout [NDArray<T>?]
    ) -> [NDArray<T>?] {
        guard needs[0] else { return [nil] }
        let full = x[0].shape
        guard grad.rank <= full.count, Array(full.suffix(grad.rank)) == grad.shape, sums[0]?.shape == full,
            var sum = sums[0].take()
        else { return vjp(grad, inputs: x, output: output, needs: needs) }
        let cols = grad.count
        if cols > 0 {
            let rows = sum.count / cols
            grad.data.withUnsafeBufferPointer { g in
                sum.data.withUnsafeMutableBufferPointer { s in
                    guard let g = g.baseAddress, let s = s.baseAddress else { return }
                    for r in 0..<rows {
                        let row = s + r * cols
                        for j in 0..<cols { row[j] += g[j] }
                    }
                }
            }
        }
        return [sum]
    }
}

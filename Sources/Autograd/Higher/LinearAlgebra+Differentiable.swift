// The differentiable vector-Jacobian products of matmul, linear and linear_transposed (the
// ONNX importer's nn.Linear), and the op they are
// written in: `MatMulTransposed`, a batched product with either operand read transposed
// by BLAS itself, so that G Bᵀ and Aᵀ G cost one gemm each and no transposed copy.
// Its own vector-Jacobian product is again two such products, so a Hessian-vector
// product of an MLP (W8) runs every matrix product of every order through gemm.

/// `op(a) @ op(b)` with `op` transposing the last two axes when asked, the batch axes
/// (all but the last two; both operands have rank 2 or more) broadcasting as in `matmul`:
/// `[..., m, k] @ [..., k, n]` read through gemm's transpose flags. Not a wire op: the
/// differentiable vector-Jacobian products of `matmul` and `linear` are written in it.
public struct MatMulTransposed: DifferentiableOperator, Equatable {
    public static let signature = OpSignature(
        name: "matmul_transposed", arity: .exactly(2), inputs: ["a", "b"],
        attributes: [
            AttributeSpec("transpose_a", .bool, default: .bool(false), "read a's last two axes transposed"),
            AttributeSpec("transpose_b", .bool, default: .bool(false), "read b's last two axes transposed"),
        ],
        summary: "op(a) @ op(b) for operands of rank 2 or more, op transposing the last two axes when asked; batch axes broadcast",
        pytorch: "torch.matmul(a.mT if transpose_a else a, b.mT if transpose_b else b)")

    /// Whether `a`'s last two axes are read transposed.
    public let transposeA: Bool
    /// Whether `b`'s last two axes are read transposed.
    public let transposeB: Bool

    /// The product `op(a) @ op(b)`.
    public init(transposeA: Bool = false, transposeB: Bool = false) {
        self.transposeA = transposeA
        self.transposeB = transposeB
    }

    public init(attributes: Attributes) throws(OpError) {
        self.init(transposeA: try attributes.bool("transpose_a"), transposeB: try attributes.bool("transpose_b"))
    }

    /// The product's dimensions: `op(a)` is `[m, k]`, `op(b)` is `[k, n]`; the stored
    /// matrices have `aColumns` and `bColumns` columns (their leading dimensions).
    struct Plan {
        let m: Int, k: Int, n: Int
        let aColumns: Int, bColumns: Int
        let aBatch: [Int], bBatch: [Int], batch: [Int]
        let aBatchCount: Int, bBatchCount: Int, batchCount: Int
        let outputShape: [Int]
    }

    func plan(_ a: [Int], _ b: [Int]) throws(OpError) -> Plan {
        guard a.count >= 2, b.count >= 2 else {
            throw .shape("matmul_transposed needs operands of rank 2 or more, got \(Shape.describe(a)) and \(Shape.describe(b))")
        }
        let (ar, ac) = (a[a.count - 2], a[a.count - 1])
        let (br, bc) = (b[b.count - 2], b[b.count - 1])
        let (m, k) = transposeA ? (ac, ar) : (ar, ac)
        let (kb, n) = transposeB ? (bc, br) : (br, bc)
        guard k == kb else {
            throw .shape("matmul_transposed: inner dimensions differ: \(Shape.describe(a)) and \(Shape.describe(b))")
        }
        let aBatch = Array(a.dropLast(2)), bBatch = Array(b.dropLast(2))
        guard let batch = Shape.broadcast(aBatch, bBatch) else {
            throw .shape("matmul_transposed: batch axes \(Shape.describe(aBatch)) and \(Shape.describe(bBatch)) do not broadcast")
        }
        let out = batch + [m, n]
        guard let ab = Shape.count(aBatch), let bb = Shape.count(bBatch), let c = Shape.count(batch),
            Shape.count(out) != nil
        else { throw .shape("matmul_transposed: the result has too many elements") }
        return Plan(
            m: m, k: k, n: n, aColumns: ac, bColumns: bc, aBatch: aBatch, bBatch: bBatch, batch: batch,
            aBatchCount: ab, bBatchCount: bb, batchCount: c, outputShape: out)
    }

    public func outputShape(_ inputs: [[Int]]) throws(OpError) -> [Int] {
        try plan(inputs[0], inputs[1]).outputShape
    }

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func forward<T: Scalar>(_ x: [NDArray<T>]) -> NDArray<T> {
        guard let p = try? plan(x[0].shape, x[1].shape) else { return x[0] }
        let (m, n, k) = (p.m, p.n, p.k)
        let aMatrix = [x[0].shape[x[0].rank - 2], p.aColumns], bMatrix = [x[1].shape[x[1].rank - 2], p.bColumns]
        if p.batchCount == 1 {
            // Two matrices (batch axes of length 1 at most): one gemm, transposes and all.
            return gemm(x[0].reshaped(aMatrix), x[1].reshaped(bMatrix), transA: transposeA, transB: transposeB)
                .reshaped(p.outputShape)
        }
        if p.bBatchCount == 1 && !transposeA {
            // One matrix b: a's batch folds into the rows of a single gemm.
            let rows = p.aBatchCount * m
            return gemm(x[0].reshaped([rows, k]), x[1].reshaped(bMatrix), transB: transposeB).reshaped(p.outputShape)
        }
        var c = [T](repeating: 0, count: p.batchCount * m * n)
        guard m > 0, n > 0, k > 0, p.batchCount > 0 else { return NDArray(shape: p.outputShape, data: c) }
        let aOffsets = Shape.batchOffsets(p.aBatch, in: p.batch, count: p.batchCount, matrix: m * k)
        let bOffsets = Shape.batchOffsets(p.bBatch, in: p.batch, count: p.batchCount, matrix: k * n)
        let (ta, tb, lda, ldb) = (transposeA, transposeB, p.aColumns, p.bColumns)
        x[0].data.withUnsafeBufferPointer { pa in
            x[1].data.withUnsafeBufferPointer { pb in
                c.withUnsafeMutableBufferPointer { pc in
                    guard let pa = pa.baseAddress, let pb = pb.baseAddress, let pc = pc.baseAddress else { return }
                    for i in 0..<p.batchCount {
                        T.gemm(
                            transA: ta, transB: tb, m: m, n: n, k: k, alpha: 1, a: pa + aOffsets[i], lda: lda,
                            b: pb + bOffsets[i], ldb: ldb, beta: 0, c: pc + i * m * n, ldc: n)
                    }
                }
            }
        }
        return NDArray(shape: p.outputShape, data: c)
    }

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func vjp<T: Scalar>(
        _ grad: NDArray<T>, inputs x: [NDArray<T>], output: NDArray<T>, needs: [Bool]
    ) -> [NDArray<T>?] {
        var none: [NDArray<T>?] = [nil, nil]
        return vjp(grad, inputs: x, output: output, needs: needs, adding: &none)
    }

    /// The product as one `gemm`'s operands, when it is one (two matrices: batch axes of
    /// length 1 at most) of valid shapes.
    func operands<T: Scalar>(_ a: NDArray<T>, _ b: NDArray<T>) -> GEMMOperands<T>? {
        guard let p = try? plan(a.shape, b.shape), p.batchCount == 1 && p.aBatchCount == 1 && p.bBatchCount == 1 else {
            return nil
        }
        return GEMMOperands(
            a.reshaped([a.shape[a.rank - 2], p.aColumns]), b.reshaped([b.shape[b.rank - 2], p.bColumns]),
            transA: transposeA, transB: transposeB)
    }

    /// `(Tensor.apply(first), Tensor.apply(second))`, the two products of a matrix product's
    /// differentiable vector-Jacobian product, with their values computed at once when
    /// `gemmPair` pairs them (both single products). Each is checked and recorded as
    /// `Tensor.apply` records it.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    static func applyPair<T: Scalar>(
        _ first: (op: MatMulTransposed, x: [Tensor<T>]), _ second: (op: MatMulTransposed, x: [Tensor<T>])
    ) throws(OpError) -> (Tensor<T>, Tensor<T>) {
        let s1 = try first.op.outputShape([first.x[0].shape, first.x[1].shape])
        let s2 = try second.op.outputShape([second.x[0].shape, second.x[1].shape])
        guard let o1 = first.op.operands(first.x[0].value, first.x[1].value),
            let o2 = second.op.operands(second.x[0].value, second.x[1].value)
        else { return (try Tensor.apply(first.op, first.x), try Tensor.apply(second.op, second.x)) }
        let (c1, c2) = gemmPair(o1, o2)
        return (
            try Tensor.record(first.op, first.x, output: c1.reshaped(s1), checkedShape: s1),
            try Tensor.record(second.op, second.x, output: c2.reshaped(s2), checkedShape: s2)
        )
    }

    // With C = op(A) op(B) and G its gradient: d op(A) = G op(B)ᵀ and d op(B) = op(A)ᵀ G,
    // transposed back where op transposed. Each is one product of this kind:
    //   dA = G op(B)ᵀ        = G · B read (transposeB ? as is : transposed)   (no transposeA)
    //   dA = (G op(B)ᵀ)ᵀ = op(B) Gᵀ                                           (transposeA)
    //   dB = op(A)ᵀ G                                                          (no transposeB)
    //   dB = (op(A)ᵀ G)ᵀ = Gᵀ op(A)                                           (transposeB)
    // The results have the broadcast batch; the engine sums them down to each operand's.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func differentiableVJP<T: Scalar>(
        _ grad: Tensor<T>, inputs x: [Tensor<T>], output: Tensor<T>, needs: [Bool]
    ) throws(OpError) -> [Tensor<T>?] {
        let (ga, gb) = gradientOps
        let xa = ga.swapped ? [x[1], grad] : [grad, x[1]], xb = gb.swapped ? [grad, x[0]] : [x[0], grad]
        if needs[0] && needs[1] {
            let (da, db) = try Self.applyPair((ga.op, xa), (gb.op, xb))
            return [da, db]
        }
        return [needs[0] ? try Tensor.apply(ga.op, xa) : nil, needs[1] ? try Tensor.apply(gb.op, xb) : nil]
    }

    /// The products giving each operand's gradient: for `a`, `op` applied to `[G, B]` (or
    /// `[B, G]` when `swapped`); for `b`, to `[A, G]` (or `[G, A]`).
    var gradientOps: (a: (op: MatMulTransposed, swapped: Bool), b: (op: MatMulTransposed, swapped: Bool)) {
        let a = transposeA
            ? (MatMulTransposed(transposeA: transposeB, transposeB: true), true)
            : (MatMulTransposed(transposeA: false, transposeB: !transposeB), false)
        let b = transposeB
            ? (MatMulTransposed(transposeA: true, transposeB: transposeA), true)
            : (MatMulTransposed(transposeA: !transposeA, transposeB: false), false)
        return (a, b)
    }
}

extension MatMul: DifferentiableOperator {
    // torch's matmul backward: with both operands promoted to matrices (a 1-D a as [1, k],
    // a 1-D b as [k, 1], by reshapes) and G shaped [batch..., m, n]: dA = G Bᵀ and
    // dB = Aᵀ G, each a transposed gemm (the two at once when gemmPair pairs them). When b
    // is one matrix, a's batch folds into rows and dB = A_flatᵀ G_flat is a single gemm
    // already summed over the batch; otherwise the engine sums each gradient's broadcast
    // batch down to its operand's.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func differentiableVJP<T: Scalar>(
        _ grad: Tensor<T>, inputs x: [Tensor<T>], output: Tensor<T>, needs: [Bool]
    ) throws(OpError) -> [Tensor<T>?] {
        let p = try MatMulPlan(x[0].shape, x[1].shape)
        let a = x[0].rank == 1 ? try Adjoint.reshape(x[0], [1, p.k]) : x[0]
        let b = x[1].rank == 1 ? try Adjoint.reshape(x[1], [p.k, 1]) : x[1]
        let g = try Adjoint.reshape(grad, p.batch + [p.m, p.n])
        // dA = G Bᵀ: [batch..., m, k], which sums down to a (a 1-D a's [1, k] included).
        let dA = (op: MatMulTransposed(transposeB: true), x: [g, b])
        // dB = Aᵀ G: with one matrix b over a's batch folded into rows (already summed);
        // with a batched b (so not 1-D) [batch..., k, n], summed down by the engine.
        func dB() throws(OpError) -> (op: MatMulTransposed, x: [Tensor<T>]) {
            guard p.bBatchCount == 1 else { return (MatMulTransposed(transposeA: true), [a, g]) }
            let rows = p.batchCount * p.m
            return (MatMulTransposed(transposeA: true), [try Adjoint.reshape(a, [rows, p.k]), try Adjoint.reshape(g, [rows, p.n])])
        }
        var da: Tensor<T>?
        var db: Tensor<T>?
        if needs[0] && needs[1] {
            (da, db) = try MatMulTransposed.applyPair(dA, try dB())
        } else if needs[0] {
            da = try Tensor.apply(dA.op, dA.x)
        } else if needs[1] {
            let d = try dB()
            db = try Tensor.apply(d.op, d.x)
        }
        if let d = db, p.bBatchCount == 1 { db = try Adjoint.reshape(d, x[1].shape) }
        if let d = da, x[0].rank == 1 { da = try Adjoint.reshape(d, p.batch + [p.k]) }
        return [da, db]
    }
}

extension LinearOp: DifferentiableOperator {
    // Over the flattened batch ([N, in] and [N, out]): dx = G Wᵀ and dW = xᵀ G, one
    // transposed gemm each (the two at once when gemmPair pairs them); db = G, summed down
    // to b's shape by the engine.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func differentiableVJP<T: Scalar>(
        _ grad: Tensor<T>, inputs x: [Tensor<T>], output: Tensor<T>, needs: [Bool]
    ) throws(OpError) -> [Tensor<T>?] {
        let inFeatures = x[1].shape[0], outFeatures = x[1].shape[1]
        let rows = x[0].shape.dropLast().reduce(1, *)
        let g = try Adjoint.reshape(grad, [rows, outFeatures])
        var result = try LinearProduct.differentiableProducts(
            dx: (MatMulTransposed(transposeB: true), [g, x[1]]), xShape: x[0].shape,
            dW: { () throws(OpError) in (MatMulTransposed(transposeA: true), [try Adjoint.reshape(x[0], [rows, inFeatures]), g]) },
            needs: needs)
        if x.count == 3 { result.append(needs[2] ? grad : nil) }
        return result
    }
}

extension LinearTransposedOp: DifferentiableOperator {
    // W is [out, in]; over the flattened batch ([N, in] and [N, out]): dx = G W, a plain
    // product, and dW = Gᵀ x, one gemm with transA, already [out, in]; db = G, summed down
    // to b's shape by the engine. Their own gradients are again such products.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func differentiableVJP<T: Scalar>(
        _ grad: Tensor<T>, inputs x: [Tensor<T>], output: Tensor<T>, needs: [Bool]
    ) throws(OpError) -> [Tensor<T>?] {
        let outFeatures = x[1].shape[0], inFeatures = x[1].shape[1]
        let rows = x[0].shape.dropLast().reduce(1, *)
        let g = try Adjoint.reshape(grad, [rows, outFeatures])
        var result = try LinearProduct.differentiableProducts(
            dx: (MatMulTransposed(), [g, x[1]]), xShape: x[0].shape,
            dW: { () throws(OpError) in (MatMulTransposed(transposeA: true), [g, try Adjoint.reshape(x[0], [rows, inFeatures])]) },
            needs: needs)
        if x.count == 3 { result.append(needs[2] ? grad : nil) }
        return result
    }
}

extension LinearProduct {
    /// `linear`'s and `linear_transposed`'s recorded dx (a product over the flattened
    /// batch, reshaped to x's shape) and dW (made only when needed), both at once through
    /// `MatMulTransposed.applyPair` when both are needed.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    static func differentiableProducts<T: Scalar>(
        dx: (op: MatMulTransposed, x: [Tensor<T>]), xShape: [Int],
        dW: () throws(OpError) -> (op: MatMulTransposed, x: [Tensor<T>]), needs: [Bool]
    ) throws(OpError) -> [Tensor<T>?] {
        if needs[0] && needs[1] {
            let (gx, gW) = try MatMulTransposed.applyPair(dx, try dW())
            return [try Adjoint.reshape(gx, xShape), gW]
        }
        let w = needs[1] ? try dW() : nil
        return [
            needs[0] ? try Adjoint.reshape(try Tensor.apply(dx.op, dx.x), xShape) : nil,
            try w.map { w throws(OpError) in try Tensor.apply(w.op, w.x) },
        ]
    }
}

/// Recorded building blocks of the shape, reduction and linear-algebra ops'
/// differentiable vector-Jacobian products.
enum Adjoint {
    /// `t` as `shape`, recorded; `t` itself when it already has it (no node).
    @inline(__always)
    static func reshape<T: Scalar>(_ t: Tensor<T>, _ shape: [Int]) throws(OpError) -> Tensor<T> {
        t.shape == shape ? t : try Tensor.apply(Reshape(shape: shape), [t])
    }
}

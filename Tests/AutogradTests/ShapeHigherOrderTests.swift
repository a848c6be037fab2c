import Autograd
import Testing

/// Hessian-vector products through matmul, linear and the indexing ops, against their
/// closed forms. Inputs are small integers, so every product and sum is exact in float64
/// and the answers are compared for equality; and the helper ops the differentiable
/// vector-Jacobian products are written in (`MatMulTransposed`, `IndexAdd`,
/// `ScatterAdd`), against their definitions and finite differences.
@Suite struct ShapeHigherOrderTests {
    /// Row-major `[rows, cols]` product of two row-major matrices.
    func product(_ a: [Double], _ b: [Double], _ m: Int, _ k: Int, _ n: Int) -> [Double] {
        var c = [Double](repeating: 0, count: m * n)
        for i in 0..<m { for j in 0..<n { for l in 0..<k { c[i * n + j] += a[i * k + l] * b[l * n + j] } } }
        return c
    }

    func transposed(_ a: [Double], _ rows: Int, _ cols: Int) -> [Double] {
        (0..<(rows * cols)).map { e in a[(e % rows) * cols + e / rows] }
    }

    func sum(_ t: Tensor<Double>) throws -> Tensor<Double> { try Tensor.apply(Sum(), [t]) }
    func mul(_ a: Tensor<Double>, _ b: Tensor<Double>) throws -> Tensor<Double> { try Tensor.apply(Mul(), [a, b]) }

    @Test func hessianOfASquaredMatrixProductIsTwoXTransposeX() throws {
        // f(W) = Σ (x W)²: ∇f = 2 xᵀ x W, H v = 2 xᵀ x v.
        let (m, k, n) = (3, 4, 2)
        let x: [Double] = [1, -2, 0, 3, 2, 1, -1, 0, 0, 1, 2, -3]
        let w: [Double] = [1, 0, -1, 2, 0, 1, 3, -2]
        let v: [Double] = [2, -1, 0, 1, 1, 1, -3, 0]
        let xArray = NDArray(shape: [m, k], data: x)
        let (f, hv) = try hvp(
            { l in
                let y = try Tensor.apply(MatMul(), [Tensor(xArray), l[0]])
                return try sum(mul(y, y))
            }, at: [NDArray(shape: [k, n], data: w)], vectors: [NDArray(shape: [k, n], data: v)])
        let xtx = product(transposed(x, m, k), x, k, m, k)
        let xw = product(x, w, m, k, n)
        #expect(f.data == [xw.map { $0 * $0 }.reduce(0, +)])
        #expect(hv[0].shape == [k, n])
        #expect(hv[0].data == product(xtx, v, k, k, n).map { 2 * $0 })
    }

    @Test func hessianThroughOneDimensionalAndBatchedMatmul() throws {
        // f(a, B) = Σ (a @ B)² with a 1-D [k] and B batched [2, k, n]: the gradient of a
        // sums over the batch, so H_aa v = 2 Σ_b B_b B_bᵀ v.
        let (k, n) = (3, 2)
        let b: [Double] = [1, 2, 0, -1, 3, 1, -2, 0, 1, 1, 0, 2]
        let a: [Double] = [1, -1, 2], va: [Double] = [0, 1, -1]
        let bArray = NDArray(shape: [2, k, n], data: b)
        let (_, hv) = try hvp(
            { l in
                let y = try Tensor.apply(MatMul(), [l[0], Tensor(bArray)])
                return try sum(mul(y, y))
            }, at: [NDArray(shape: [k], data: a)], vectors: [NDArray(shape: [k], data: va)])
        var expected = [Double](repeating: 0, count: k)
        for batch in 0..<2 {
            let bb = Array(b[(batch * k * n)..<((batch + 1) * k * n)])
            let bbt = product(bb, transposed(bb, k, n), k, n, k)
            for (i, e) in product(bbt, va, k, k, 1).enumerated() { expected[i] += 2 * e }
        }
        #expect(hv[0].shape == [k])
        #expect(hv[0].data == expected)
    }

    @Test func hessianOfALinearLayersMeanSquaredError() throws {
        // L(W, b) = mean((x W + b - t)²) over N·out = 8 elements: H·(vW, vb) =
        // (2/8) [xᵀ (x vW + 1 vbᵀ), 1ᵀ (x vW + 1 vbᵀ)], exact with a power-of-two count.
        let (rows, inF, outF) = (4, 3, 2)
        let x: [Double] = [1, 0, -1, 2, 1, 0, 0, -1, 3, 1, 1, 1]
        let t: [Double] = [0, 1, -1, 2, 0, 0, 3, -2]
        let w: [Double] = [1, -1, 0, 2, 1, 1]
        let bias: [Double] = [0.5, -1]
        let vw: [Double] = [1, 0, -2, 1, 0, 3], vb: [Double] = [2, -1]
        let xArray = NDArray(shape: [rows, inF], data: x), tArray = NDArray(shape: [rows, outF], data: t)
        let (loss, hv) = try hvp(
            { l in
                let y = try Tensor.apply(LinearOp(), [Tensor(xArray), l[0], l[1]])
                let r = try Tensor.apply(Sub(), [y, Tensor(tArray)])
                return try Tensor.apply(Mean(), [mul(r, r)])
            },
            at: [NDArray(shape: [inF, outF], data: w), NDArray(shape: [outF], data: bias)],
            vectors: [NDArray(shape: [inF, outF], data: vw), NDArray(shape: [outF], data: vb)])
        var u = product(x, vw, rows, inF, outF)  // x vW + 1 vbᵀ
        for i in 0..<rows { for j in 0..<outF { u[i * outF + j] += vb[j] } }
        let hw = product(transposed(x, rows, inF), u, inF, rows, outF).map { $0 * 2 / 8 }
        let hb = (0..<outF).map { j in (0..<rows).map { u[$0 * outF + j] }.reduce(0, +) * 2 / 8 }
        var residual = product(x, w, rows, inF, outF)
        for e in residual.indices { residual[e] += bias[e % outF] - t[e] }
        #expect(loss.data == [residual.map { $0 * $0 }.reduce(0, +) / 8])
        #expect(hv[0].data == hw)
        #expect(hv[1].data == hb)
    }

    @Test func linearOverAThreeDimensionalBatchMatchesItsMatmulForm() throws {
        // linear(x, W, b) with x [2, 2, 3] and matmul(x, W) + b give the same gradient and
        // the same Hessian-vector product for f = Σ y³ (third-order terms included).
        let x = NDArray<Double>(shape: [2, 2, 3], data: [1, 0, -1, 2, 1, 0, 0, -1, 1, 1, 2, -1])
        let w = NDArray<Double>(shape: [3, 2], data: [1, -1, 0, 2, 1, 1])
        let b = NDArray<Double>(shape: [2], data: [1, -2])
        let vs = [
            NDArray<Double>(shape: [2, 2, 3], data: [0, 1, 0, -1, 0, 2, 1, 1, 0, 0, -2, 1]),
            NDArray<Double>(shape: [3, 2], data: [1, 0, -1, 1, 2, 0]), NDArray<Double>(shape: [2], data: [-1, 1]),
        ]
        func cube(_ y: Tensor<Double>) throws -> Tensor<Double> { try sum(mul(mul(y, y), y)) }
        let (f1, h1) = try hvp({ try cube(Tensor.apply(LinearOp(), $0)) }, at: [x, w, b], vectors: vs)
        let (f2, h2) = try hvp(
            { l in try cube(Tensor.apply(Add(), [try Tensor.apply(MatMul(), [l[0], l[1]]), l[2]])) },
            at: [x, w, b], vectors: vs)
        #expect(f1.data == f2.data)
        for i in 0..<3 {
            #expect(h1[i].shape == h2[i].shape)
            #expect(h1[i].data == h2[i].data)
        }
        #expect(h1[0].data.contains { $0 != 0 })
    }

    @Test func hessianThroughTakeCountsRepeatedPicks() throws {
        // f(x) = Σ_j x[idx_j]³ along axis 1: H = diag(6 c_i x_i), c_i the picks of column i.
        let x = NDArray<Double>(shape: [2, 3], data: [1, -2, 3, 2, 0.5, -1])
        let v = NDArray<Double>(shape: [2, 3], data: [1, 1, -1, 2, 4, 1])
        let idx = NDArray<Double>(shape: [4], data: [2, 0, 2, -1])  // column 2 three times, 0 once
        let (_, hv) = try hvp(
            { l in
                let t = try Tensor.apply(Take(axis: 1), [l[0], Tensor(idx)])
                return try sum(mul(mul(t, t), t))
            }, at: [x], vectors: [v])
        let counts: [Double] = [1, 0, 3]
        #expect(hv[0].data == x.data.indices.map { 6 * counts[$0 % 3] * x.data[$0] * v.data[$0] })
    }

    @Test func hessianThroughGatherAndEmbedding() throws {
        // gather along axis 0 and embedding rows: f = Σ picked², H v = 2 c v elementwise.
        let x = NDArray<Double>(shape: [3, 2], data: [1, 2, 3, 4, 5, 6])
        let v = NDArray<Double>(shape: [3, 2], data: [1, -1, 2, 0.5, -3, 1])
        let index = NDArray<Double>(shape: [2, 2], data: [0, 2, 0, 0])  // (0,0) twice, (2,1), (0,1)
        let (_, hg) = try hvp(
            { l in
                let g = try Tensor.apply(Gather(axis: 0), [l[0], Tensor(index)])
                return try sum(mul(g, g))
            }, at: [x], vectors: [v])
        let gatherCounts: [Double] = [2, 1, 0, 0, 0, 1]
        #expect(hg[0].data == v.data.indices.map { 2 * gatherCounts[$0] * v.data[$0] })

        let rows = NDArray<Double>(shape: [2, 2], data: [2, 0, 2, 2])  // row 2 three times, row 0 once
        let (_, he) = try hvp(
            { l in
                let e = try Tensor.apply(EmbeddingOp(), [l[0], Tensor(rows)])
                return try sum(mul(e, e))
            }, at: [x], vectors: [v])
        let rowCounts: [Double] = [1, 0, 3]
        #expect(he[0].data == v.data.indices.map { 2 * rowCounts[$0 / 2] * v.data[$0] })
    }

    @Test func jvpOfALinearOpIsTheOpAppliedToTheTangent() throws {
        // The Jacobian-vector product of a linear op is its linear part applied to the
        // tangent (for pad: padding with zeros, whatever the value).
        let x = NDArray<Double>(shape: [2, 7], data: (0..<14).map { Double($0) })
        let t = NDArray<Double>(shape: [2, 7], data: (0..<14).map { Double($0 % 5) - 2 })
        let widths = [(before: 1, after: -2), (before: -3, after: 2)]
        let cases: [(op: any Operator, linear: any Operator)] = [
            (SliceOp(axis: 1, start: 1, stop: 6, step: 2), SliceOp(axis: 1, start: 1, stop: 6, step: 2)),
            (SliceOp(axis: 1, start: 6, step: 4), SliceOp(axis: 1, start: 6, step: 4)),
            (SliceOp(axis: -1, start: -2), SliceOp(axis: -1, start: -2)),
            (Pad(padWidth: widths, value: 7), Pad(padWidth: widths, value: 0)),
            (Transpose(perm: [1, 0]), Transpose(perm: [1, 0])), (Flip(axes: [1]), Flip(axes: [1])),
            (Cumsum(axis: 1), Cumsum(axis: 1)), (Stack(axis: 1), Stack(axis: 1)),
        ]
        for (op, linear) in cases {
            let (_, tangent) = try jvp({ try Tensor.apply(op, $0) }, at: [x], tangents: [t])
            let expected = linear.forward([t])
            #expect(tangent.shape == expected.shape, "\(op)")
            #expect(tangent.data == expected.data, "\(op)")
        }
    }

    @Test(arguments: [(false, false), (true, false), (false, true), (true, true)])
    func matmulTransposedIsTheProductOfTheTransposes(_ flags: (Bool, Bool)) throws {
        let (ta, tb) = flags
        // op(a) [batch 2 over 1, 3, 4] @ op(b) [2, 4, 5].
        let aShape = ta ? [1, 4, 3] : [1, 3, 4], bShape = tb ? [2, 5, 4] : [2, 4, 5]
        let a = randomArray(aShape, seed: 5), b = randomArray(bShape, seed: 6)
        let op = MatMulTransposed(transposeA: ta, transposeB: tb)
        let y = op.forward([a, b])
        let swap = Transpose(perm: [0, 2, 1])
        let expected = MatMul().forward([ta ? swap.forward([a]) : a, tb ? swap.forward([b]) : b])
        #expect(y.shape == [2, 3, 5])
        for (p, q) in zip(y.data, expected.data) { #expect(abs(p - q) <= 1e-12) }
        try gradgradcheck({ try Tensor.apply(op, $0) }, inputs: [a, b])
        // Two plain matrices and a batch against one matrix take gemm's other paths.
        let a2 = randomArray(ta ? [4, 3] : [3, 4], seed: 7), b2 = randomArray(tb ? [5, 4] : [4, 5], seed: 8)
        try gradgradcheck({ try Tensor.apply(op, $0) }, inputs: [a2, b2])
        try gradgradcheck({ try Tensor.apply(op, $0) }, inputs: [a, b2])
    }

    @Test func indexAddAndScatterAddAreTheAdjointsOfTakeAndGather() throws {
        // ⟨take(x), y⟩ = ⟨x, index_add(y)⟩ and likewise for gather and scatter_add.
        let x = randomArray([3, 4, 2], seed: 9)
        let takeIndex = NDArray<Double>(shape: [2, 3], data: [3, 0, -1, 3, 1, 1])
        let y = randomArray([3, 2, 3, 2], seed: 10)
        let taken = Take(axis: 1).forward([x, takeIndex])
        let added = IndexAdd(axis: 1, length: 4).forward([y, takeIndex])
        #expect(added.shape == [3, 4, 2])
        let lhs = zip(taken.data, y.data).map { $0 * $1 }.reduce(0, +)
        let rhs = zip(x.data, added.data).map { $0 * $1 }.reduce(0, +)
        #expect(abs(lhs - rhs) <= 1e-12)

        let gatherIndex = NDArray<Double>(shape: [3, 2, 2], data: [0, 3, 3, 3, 1, 0, 2, 2, 0, 0, 0, 1])
        let z = randomArray([3, 2, 2], seed: 11)
        let gathered = Gather(axis: 1).forward([x, gatherIndex])
        let scattered = ScatterAdd(axis: 1, shape: [3, 4, 2]).forward([z, gatherIndex])
        let lhs2 = zip(gathered.data, z.data).map { $0 * $1 }.reduce(0, +)
        let rhs2 = zip(x.data, scattered.data).map { $0 * $1 }.reduce(0, +)
        #expect(abs(lhs2 - rhs2) <= 1e-12)

        try gradgradcheck(
            { try Tensor.apply(IndexAdd(axis: 1, length: 4), $0) }, inputs: [y, takeIndex], differentiable: [true, false])
        try gradgradcheck(
            { try Tensor.apply(ScatterAdd(axis: 1, shape: [3, 4, 2]), $0) }, inputs: [z, gatherIndex],
            differentiable: [true, false])
    }

    @Test func createGraphGradientsEqualFirstOrderOnes() throws {
        // The recorded formulas repeat the first-order kernels' arithmetic: the same bytes.
        let x = randomArray([3, 4], seed: 12)
        let cases: [(any Operator, [Int])] = [
            (Mean(axes: [1]), [3]), (Var(axes: [0]), [4]), (Std(), []), (Norm(ord: .two, axes: [1]), [3]),
            (Norm(ord: .infinity), []), (Amax(axes: [0]), [4]), (Cumsum(axis: 0), [3, 4]),
        ]
        for (op, outShape) in cases {
            let seed = randomArray(outShape, seed: 13)
            let leaf = Tensor(x, requiresGrad: true)
            let y = try Tensor.apply(op, [leaf])
            #expect(y.shape == outShape)
            let recorded = try grad(of: y, wrt: [leaf], seed: Tensor(seed), createGraph: true)[0]
            try y.backward(seed: seed)
            #expect(recorded.value.data == leaf.grad?.data, "\(op)")
        }
    }
    @Test func tiedExtremaShareTheGradientToEveryOrder() throws {
        // f = amax(x)² with the maximum 3 tied twice: ∇f = 2·3·mask/2, and
        // H v = 2 (Σ_ties v / 2) mask/2, as the first-order vjp's convention extends.
        let x = NDArray<Double>(shape: [4], data: [3, -1, 3, 2])
        let v = NDArray<Double>(shape: [4], data: [1, 5, 3, -2])
        let leaf = Tensor(x, requiresGrad: true)
        let m = try Tensor.apply(Amax(), [leaf])
        let g = try grad(of: mul(m, m), wrt: [leaf], createGraph: true)[0]
        #expect(g.scalars == [3, 0, 3, 0])
        let (_, hv) = try hvp({ l in let m = try Tensor.apply(Amax(), [l[0]]); return try mul(m, m) }, at: [x], vectors: [v])
        #expect(hv[0].data == [2, 0, 2, 0])
        let (_, hvMin) = try hvp(
            { l in let m = try Tensor.apply(Amin(), [l[0]]); return try mul(m, m) },
            at: [NDArray(shape: [3], data: [-2, 1, -2])], vectors: [NDArray(shape: [3], data: [4, 1, 2])])
        #expect(hvMin[0].data == [3, 0, 3])
        // The inf-norm of [3, -1, -3, 2]: the tied magnitudes share g with their signs,
        // w = [1/2, 0, -1/2, 0]; for f = norm², H v = 2 ⟨w, v⟩ w.
        let tied = NDArray<Double>(shape: [4], data: [3, -1, -3, 2])
        let nLeaf = Tensor(tied, requiresGrad: true)
        let norm = try Tensor.apply(Norm(ord: .infinity), [nLeaf])
        #expect(try grad(of: norm, wrt: [nLeaf], createGraph: true)[0].scalars == [0.5, 0, -0.5, 0])
        let (_, hvNorm) = try hvp(
            { l in let n = try Tensor.apply(Norm(ord: .infinity), [l[0]]); return try mul(n, n) }, at: [tied],
            vectors: [v])
        #expect(hvNorm[0].data == [-1, 0, 1, 0])
    }

    @Test func normAndStdAtZeroHaveZeroGradientsToEveryOrder() throws {
        // torch's convention: the gradient of the 2-norm (and of std) where it is 0 is 0;
        // its derivative there is 0 too, and nothing is NaN.
        let zeros = NDArray<Double>(shape: [2, 3], data: [0, 0, 0, 1, -2, 2])
        let v = NDArray<Double>(shape: [2, 3], data: [1, 2, 3, 1, 1, 1])
        let (f, hv) = try hvp(
            { l in
                let n = try Tensor.apply(Norm(ord: .two, axes: [1]), [l[0]])
                return try sum(mul(n, n))
            }, at: [zeros], vectors: [v])
        #expect(f.data == [9])
        // Σ norm² = Σ x² away from 0 (H = 2I there); the zero row's is 0 by the convention.
        // The zero row is exact; the other goes through norm / norm, rounded.
        #expect(hv[0].data[0..<3] == [0, 0, 0])
        for e in 3..<6 { #expect(abs(hv[0].data[e] - 2) <= 1e-12) }
        let constantRow = NDArray<Double>(shape: [2, 2], data: [5, 5, 1, 3])
        let (_, hs) = try hvp(
            { l in try sum(Tensor.apply(Std(axes: [1]), [l[0]])) }, at: [constantRow],
            vectors: [NDArray(shape: [2, 2], data: [1, -1, 1, 0])])
        // Row 2: std = |a - b| / √2, linear in (a, b) near a ≠ b, so its Hessian is 0; row 1 is at std 0.
        #expect(hs[0].data[0..<2] == [0, 0])
        for e in 2..<4 { #expect(abs(hs[0].data[e]) <= 1e-12) }
        #expect(!hs[0].data.contains { $0.isNaN })
    }
}

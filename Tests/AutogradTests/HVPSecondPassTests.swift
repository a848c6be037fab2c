import Testing

@testable import Autograd

/// The second pass of a Hessian-vector product runs unrecorded, each op through its
/// first-order vector-Jacobian product over arrays, and in it the matrix
/// products add their input gradients to the ones gathered so far by gemm's beta = 1
/// (`AccumulatingVJP`); the two products of a product's vector-Jacobian product run at
/// once (`gemmPair`); ReLU's gradient is one op (`ReLUBackward`). Each is checked here
/// against what it replaces: the recorded second pass (`createGraph: true`, plain adds),
/// products one at a time, central differences of the gradient, and torch's conventions.
@Suite(.serialized) struct HVPSecondPassTests {
    /// H·v by central differences of the gradient, (∇f(p + εv) − ∇f(p − εv)) / 2ε, one
    /// block per tensor; `leaves(s)` gives fresh leaves at p + s·v.
    static func centralDifferenceHVP(
        _ loss: ([Tensor<Double>]) throws -> Tensor<Double>, leaves: (Double) -> [Tensor<Double>], eps: Double = 1e-5
    ) throws -> [NDArray<Double>] {
        func gradient(_ shift: Double) throws -> [NDArray<Double>] {
            let s = leaves(shift)
            return try grad(of: try loss(s), wrt: s).map(\.value)
        }
        let (up, down) = (try gradient(eps), try gradient(-eps))
        return zip(up, down).map { u, d in NDArray(shape: u.shape, data: zip(u.data, d.data).map { ($0 - $1) / (2 * eps) }) }
    }

    /// An MLP loss of float64 parameters `[W1, b1, W2, b2, W3]` (linear, relu, linear with
    /// `x` used twice, matmul of a parameter with itself), the sort of graph whose second
    /// pass gathers two or three contributions per gradient.
    static func loss(_ p: [Tensor<Double>], x: Tensor<Double>, labels: Tensor<Double>) throws -> Tensor<Double> {
        let h1 = try Tensor.apply(ReLUOp(), [try Tensor.apply(LinearOp(), [x, p[0], p[1]])])
        let h2 = try Tensor.apply(ReLUOp(), [try Tensor.apply(LinearOp(), [h1, p[2], p[3]])])
        let square = try Tensor.apply(MatMul(), [p[4], p[4]])  // [5, 5] @ [5, 5]
        let logits = try Tensor.apply(MatMul(), [h2, square])
        return try Tensor.apply(CrossEntropy(), [logits, labels])
    }

    static let shapes = [[6, 8], [8], [8, 5], [5], [5, 5]]
    static var x: Tensor<Double> { Tensor(randomArray([7, 6], seed: 1)) }
    static var labels: Tensor<Double> { Tensor(NDArray<Double>(shape: [7], data: [0, 4, 2, 1, 3, 3, 0])) }

    static func parameters(shift: [NDArray<Double>]? = nil, by eps: Double = 0) -> [Tensor<Double>] {
        shapes.enumerated().map { i, s in
            var a = randomArray(s, in: -1...1, seed: UInt64(10 + i))
            if let shift { a = NDArray(shape: s, data: zip(a.data, shift[i].data).map { $0 + eps * $1 }) }
            return Tensor(a, requiresGrad: true)
        }
    }

    static let vectors = shapes.enumerated().map { i, s in randomArray(s, in: -1...1, seed: UInt64(20 + i)) }

    /// Unrecorded, the create-graph pass runs each op's first-order VJP over arrays
    /// (`arrayVJP`): `grad` without `createGraph` gives `backward()`'s gradients and the
    /// recorded pass's, through softmax, log_softmax, a broadcast bias and the ops above.
    @Test func anUnrecordedPassGivesTheFirstOrderGradients() throws {
        func loss(_ p: [Tensor<Double>]) throws -> Tensor<Double> {
            let base = try Self.loss(p, x: Self.x, labels: Self.labels)
            let s = try Tensor.apply(Softmax(axis: 0), [p[2]])
            let l = try Tensor.apply(LogSoftmax(axis: -1), [try Tensor.apply(Add(), [p[4], p[3]])])
            let terms = [base, try Tensor.apply(Sum(), [try Tensor.apply(Mul(), [s, p[2]])]),
                         try Tensor.apply(Sum(), [try Tensor.apply(Mul(), [l, p[4]])])]
            return try Tensor.apply(Add(), [terms[0], try Tensor.apply(Add(), [terms[1], terms[2]])])
        }
        let p = Self.parameters()
        let unrecorded = try grad(of: try loss(p), wrt: p)
        let recorded = try grad(of: try loss(p), wrt: p, createGraph: true)
        let q = Self.parameters()
        try loss(q).backward()
        for i in p.indices {
            #expect(!unrecorded[i].isRecorded, "gradient \(i) is a plain tensor")
            expectClose(unrecorded[i].value, q[i].gradOrZeros, rtol: 1e-13, atol: 1e-15, "gradient \(i) against backward()")
            expectClose(unrecorded[i].value, recorded[i].value, rtol: 1e-12, atol: 1e-14, "gradient \(i) against the recorded pass")
        }
    }

    /// Cross-entropy's gradient is one op (`CrossEntropyGradient`): unrecorded, its
    /// second derivative is its array VJP; recorded, softmax's composition. The two agree,
    /// and its values are `backward()`'s gradient, with class weights, an ignored sample,
    /// label smoothing, extra axes and every reduction.
    @Test(arguments: [
        (false, false, 0.0, Reduction.mean, false), (true, false, 0.0, .mean, false), (false, true, 0.0, .mean, false),
        (true, true, 0.2, .mean, true), (false, false, 0.1, .sum, true), (true, true, 0.0, .none, false),
        (false, true, 0.3, .none, true),
    ])
    func crossEntropysGradientOpAgreesUnrecordedAndRecorded(
        weighted: Bool, ignoring: Bool, smoothing: Double, reduction: Reduction, extraAxis: Bool
    ) throws {
        let shape = extraAxis ? [3, 4, 2] : [5, 4]
        let samples = extraAxis ? 6 : 5
        let labels = Tensor(NDArray<Double>(
            shape: extraAxis ? [3, 2] : [5], data: (0..<samples).map { Double(($0 * 3) % 4) }.enumerated().map { i, k in
                ignoring && i == 1 ? 2 : k
            }))
        let weight = Tensor(NDArray<Double>([0.5, 2, 1.5, 0.25]))
        let op = CrossEntropy(reduction: reduction, labelSmoothing: smoothing, ignoreIndex: ignoring ? 2 : -100)
        func loss(_ x: Tensor<Double>) throws -> Tensor<Double> {
            let y = try Tensor.apply(op, weighted ? [x, labels, weight] : [x, labels])
            return reduction == .none ? try Tensor.apply(Sum(), [try Tensor.apply(Mul(), [y, y])]) : y
        }
        let v = Tensor(randomArray(shape, in: -1...1, seed: 31))
        let x1 = Tensor(randomArray(shape, in: -3...3, seed: 30), requiresGrad: true)
        let (g, hv) = try hvp(of: try loss(x1), wrt: [x1], vectors: [v])
        let x2 = Tensor(randomArray(shape, in: -3...3, seed: 30), requiresGrad: true)
        let (_, hvRecorded) = try hvp(of: try loss(x2), wrt: [x2], vectors: [v], createGraph: true)
        let x3 = Tensor(randomArray(shape, in: -3...3, seed: 30), requiresGrad: true)
        try loss(x3).backward()
        expectClose(g[0].value, x3.gradOrZeros, rtol: 1e-13, atol: 1e-15, "the gradient against backward()")
        expectClose(hv[0].value, hvRecorded[0].value, rtol: 1e-12, atol: 1e-14, "H·v unrecorded against recorded")
        #expect(hv[0].value.data.contains { $0 != 0 })
    }

    /// `hvp` leaves a weight's gradient out of its first pass when the linear's input gets
    /// none (`DeferredWeightGradients`) and computes it beside the seed of the second pass:
    /// `linear` and `linear_transposed`, a weight used by two linears (two items, added), a
    /// weight without a vector's place (not a target), a linear whose input needs its
    /// gradient (not deferred). Gradients and H·v against the recorded path (which defers
    /// nothing), `backward()` and central differences.
    @Test func weightGradientsLeftToHVPGiveTheSameValues() throws {
        let x = Tensor(randomArray([7, 6], seed: 50)), x2 = Tensor(randomArray([7, 4], seed: 51))
        let labels = Tensor(NDArray<Double>(shape: [7], data: [0, 4, 2, 1, 3, 3, 0]))
        let shapes = [[6, 8], [8], [5, 8], [5, 4]]
        func parameters(_ shift: Double = 0) -> [Tensor<Double>] {
            shapes.enumerated().map { i, s in
                let a = randomArray(s, in: -1...1, seed: UInt64(60 + i)), v = randomArray(s, in: -1...1, seed: UInt64(70 + i))
                return Tensor(NDArray(shape: s, data: zip(a.data, v.data).map { $0 + shift * $1 }), requiresGrad: true)
            }
        }
        let vectors = shapes.enumerated().map { i, s in Tensor(randomArray(s, in: -1...1, seed: UInt64(70 + i))) }
        let frozen = Tensor(randomArray([6, 8], in: -1...1, seed: 80), requiresGrad: true)  // not a target
        func loss(_ p: [Tensor<Double>]) throws -> Tensor<Double> {
            let h1 = try Tensor.apply(ReLUOp(), [try Tensor.apply(LinearOp(), [x, p[0], p[1]])])
            let h2 = try Tensor.apply(LinearTransposedOp(), [h1, p[2]])          // dx needed: not deferred
            let h3 = try Tensor.apply(LinearTransposedOp(), [x2, p[3]])          // deferred, [out, in]
            let shared = try Tensor.apply(LinearOp(), [x, p[0]])                // W1 a second time
            let other = try Tensor.apply(LinearOp(), [x, frozen])
            let extra = try Tensor.apply(Sum(), [try Tensor.apply(Mul(), [try Tensor.apply(TanhOp(), [shared]), other])])
            return try Tensor.apply(Add(), [try Tensor.apply(CrossEntropy(), [try Tensor.apply(Add(), [h2, h3]), labels]), extra])
        }
        // Which gradients the first pass leaves out: W1 twice, W3 once.
        let probe = parameters()
        let deferring = DeferredWeightGradients<Double>(vectors: vectors.map { Optional($0) }, keepsGradient: vectors.map { _ in true })
        _ = try Tensor.recordedGradients(
            roots: [(try loss(probe), Tensor(NDArray(repeating: 1, shape: [])))], targets: probe, deferring: deferring)
        #expect(deferring.items.map(\.target).sorted() == [0, 0, 3])
        let transposedFlags = deferring.items.map { ($0.target, $0.transposed) }
        #expect(transposedFlags.allSatisfy { target, transposed in transposed == (target == 3) })

        let p = parameters()
        let (g, hv) = try hvp(of: try loss(p), wrt: p, vectors: vectors)
        let q = parameters()
        let (gRecorded, hvRecorded) = try hvp(of: try loss(q), wrt: q, vectors: vectors, createGraph: true)
        let r = parameters()
        try loss(r).backward()
        for i in shapes.indices {
            expectClose(g[i].value, gRecorded[i].value, rtol: 1e-13, atol: 1e-15, "gradient \(i) against the recorded path")
            expectClose(g[i].value, r[i].gradOrZeros, rtol: 1e-13, atol: 1e-15, "gradient \(i) against backward()")
            expectClose(hv[i].value, hvRecorded[i].value, rtol: 1e-12, atol: 1e-14, "H·v \(i) against the recorded path")
            #expect(hv[i].value.data.contains { $0 != 0 })
        }
        let fd = try Self.centralDifferenceHVP(loss, leaves: parameters)
        for i in shapes.indices {
            expectClose(hv[i].value, fd[i], rtol: 1e-5, atol: 1e-7, "H·v \(i) against central differences")
        }
    }

    /// Without the gradients (`hvp(_:at:vectors:)`, which answers H·v only, as
    /// `torch.autograd.functional.hvp`), every `linear` / `linear_transposed` whose weight is a
    /// target with a vector leaves dW out of the first pass and it is never computed, also
    /// where the layer's input gets a gradient (seeded with G·vᵀ, or G·v): an input that is a
    /// target itself, an input from a hidden layer, a rank-3 input. A linear whose G is a
    /// constant (a plain sum of it) is not left out: nothing would seed G. H·v against the
    /// recorded path (which leaves nothing out) and central differences of the gradient.
    @Test func hvpWithoutGradientsLeavesEveryLinearWeightGradientOut() throws {
        let x2 = Tensor(randomArray([7, 4], seed: 52)), x3 = Tensor(randomArray([2, 3, 6], seed: 53))
        let labels = Tensor(NDArray<Double>(shape: [7], data: [0, 4, 2, 1, 3, 3, 0]))
        // x, W1, b1, W2 ([out, in]), W3 ([out, in]), W4.
        let shapes = [[7, 6], [6, 8], [8], [5, 8], [5, 4], [6, 5]]
        let values = shapes.enumerated().map { i, s in randomArray(s, in: -1...1, seed: UInt64(90 + i)) }
        let vectors = shapes.enumerated().map { i, s in randomArray(s, in: -1...1, seed: UInt64(100 + i)) }
        func loss(_ p: [Tensor<Double>]) throws -> Tensor<Double> {
            let h1 = try Tensor.apply(ReLUOp(), [try Tensor.apply(LinearOp(), [p[0], p[1], p[2]])])  // x a target
            let h2 = try Tensor.apply(LinearTransposedOp(), [h1, p[3]])                           // a hidden input
            let h3 = try Tensor.apply(LinearTransposedOp(), [x2, p[4]])                           // no input gradient
            let ce = try Tensor.apply(CrossEntropy(), [try Tensor.apply(Add(), [h2, h3]), labels])
            let deep = try Tensor.apply(Sum(), [try Tensor.apply(TanhOp(), [try Tensor.apply(LinearOp(), [x3, p[5]])])])
            let plain = try Tensor.apply(Sum(), [try Tensor.apply(LinearOp(), [p[0], p[1]])])    // G constant
            return try Tensor.apply(Add(), [try Tensor.apply(Add(), [ce, deep]), plain])
        }
        func leaves(_ shift: Double = 0) -> [Tensor<Double>] {
            zip(values, vectors).map { a, v in
                Tensor(NDArray(shape: a.shape, data: zip(a.data, v.data).map { $0 + shift * $1 }), requiresGrad: true)
            }
        }
        // What the first pass leaves out: W1 through h1 (input x, a target), W2 (input h1),
        // W3 (no input gradient), W4 (rank-3 input, no gradient); not W1 under the plain sum.
        let probe = leaves()
        let deferring = DeferredWeightGradients<Double>(
            vectors: vectors.map { Optional(Tensor($0)) }, keepsGradient: vectors.map { _ in false })
        let first = try Tensor.recordedGradients(
            roots: [(try loss(probe), Tensor(NDArray(repeating: 1, shape: [])))], targets: probe, deferring: deferring)
        #expect(deferring.items.map(\.target).sorted() == [1, 3, 4, 5])
        #expect(deferring.items.filter { $0.input != nil }.map(\.target).sorted() == [1, 3])
        #expect(first[3] == nil && first[4] == nil && first[5] == nil)  // never computed
        #expect(first[1] != nil)  // the plain sum's xᵀ·1 only

        let (_, hv) = try hvp({ try loss($0) }, at: values, vectors: vectors)
        let q = leaves()
        let (_, hvRecorded) = try hvp(of: try loss(q), wrt: q, vectors: vectors.map { Tensor($0) }, createGraph: true)
        let r = leaves()
        let (_, hvKept) = try hvp(of: try loss(r), wrt: r, vectors: vectors.map { Tensor($0) })
        let fd = try Self.centralDifferenceHVP(loss, leaves: leaves)
        for i in shapes.indices {
            expectClose(hv[i], hvRecorded[i].value, rtol: 1e-12, atol: 1e-14, "H·v \(i) against the recorded path")
            expectClose(hv[i], hvKept[i].value, rtol: 1e-12, atol: 1e-14, "H·v \(i) against the gradient-keeping path")
            #expect(hv[i].data.contains { $0 != 0 })
            expectClose(hv[i], fd[i], rtol: 1e-5, atol: 1e-7, "H·v \(i) against central differences")
        }
        // Some gradients kept (as /hvp keeps those it answers): the kept ones are
        // `backward()`'s, the others nil; W1 (input x kept, so x's layer not left out) and
        // W4 kept, W2 and W3 not.
        let keep = [true, true, false, false, false, true]
        let m = leaves()
        let (gSome, hvSome) = try hessianVectorProducts(
            of: try loss(m), wrt: m, vectors: vectors.map { Tensor($0) }, keepingGradients: keep)
        let b = leaves()
        try loss(b).backward()
        for i in shapes.indices {
            #expect((gSome[i] != nil) == keep[i], "gradient \(i)")
            if let g = gSome[i] { expectClose(g.value, b[i].gradOrZeros, rtol: 1e-13, atol: 1e-15, "gradient \(i)") }
            expectClose(hvSome[i]?.value ?? NDArray(shape: [0], data: []), hv[i], rtol: 1e-12, atol: 1e-14, "H·v \(i), some kept")
        }
    }

    /// `sum_to` of a [rows, cols] gradient to [cols] runs row by row (`LinearOp.columnSums`):
    /// the bytes of `sum(to:)`, short and long batches, one column and many, float and double.
    @Test func sumToABiasRowGivesTheBytesOfSumTo() {
        for (rows, cols) in [(1, 5), (3, 1), (7, 3), (128, 512), (1_000, 17), (4_099, 2)] {
            let x = randomArray([rows, cols], in: -1e3...1e3, seed: UInt64(rows * 31 + cols))
            #expect(SumTo(shape: [cols]).forward([x]).data == x.sum(to: [cols]).data, "\(rows)×\(cols) double")
            let f = NDArray<Float>(shape: x.shape, data: x.data.map { Float($0) })
            #expect(SumTo(shape: [cols]).forward([f]).data == f.sum(to: [cols]).data, "\(rows)×\(cols) float")
        }
    }

    /// `CrossEntropyGradient` saves its softmax for its VJP: the VJP given it is the VJP that
    /// computes it again, to the bit, for both inputs; the forward pass with and without
    /// saving gives the same values; the saved array is the softmax.
    @Test(arguments: [(false, false, 0.0, false), (true, true, 0.2, false), (false, true, 0.1, true), (true, false, 0.0, true)])
    func crossEntropysGradientOpSavesItsSoftmax(weighted: Bool, ignoring: Bool, smoothing: Double, extraAxis: Bool) throws {
        let shape = extraAxis ? [3, 4, 2] : [5, 4]
        let samples = extraAxis ? 6 : 5
        let labels = NDArray<Double>(
            shape: extraAxis ? [3, 2] : [5], data: (0..<samples).map { i in ignoring && i == 1 ? -1 : Double((i * 3) % 4) })
        let layout = try ClassScores("cross_entropy", [shape, labels.shape], probabilitiesAllowed: false)
        let op = CrossEntropyGradient(
            layout: layout, classes: layout.classes(labels, ignore: -1), weight: weighted ? [0.5, 2, 1.5, 0.25] : nil,
            labelSmoothing: smoothing)
        let logits = randomArray(shape, in: -3...3, seed: 40)
        let g = randomArray(extraAxis ? [3, 2] : [5], in: 0.5...2, seed: 41)
        let (y, saved) = op.forward([logits, g], saving: [true, true])
        #expect(y.data == op.forward([logits, g]).data)
        #expect(saved.count == 1 && saved[0]?.data == Softmax(axis: 1).forward([logits]).data)
        let upstream = randomArray(shape, in: -1...1, seed: 42)
        for needs in [[true, true], [true, false], [false, true]] {
            let withSaved = op.vjp(upstream, inputs: [logits, g], output: y, saved: saved, needs: needs)
            let recomputed = op.vjp(upstream, inputs: [logits, g], output: y, needs: needs)
            for i in 0..<2 {
                #expect(withSaved[i]?.data == recomputed[i]?.data, "input \(i), needs \(needs)")
                #expect((withSaved[i] != nil) == needs[i])
            }
        }
    }

    @Test func theUnrecordedSecondPassEqualsTheRecordedOneAndCentralDifferences() throws {
        let p = Self.parameters()
        let v = Self.vectors.map { Tensor($0) }
        let (g, hv) = try hvp(of: try Self.loss(p, x: Self.x, labels: Self.labels), wrt: p, vectors: v)
        // The recorded second pass: differentiable vector-Jacobian products and adds.
        let p2 = Self.parameters()
        let (g2, hvRecorded) = try hvp(
            of: try Self.loss(p2, x: Self.x, labels: Self.labels), wrt: p2, vectors: v, createGraph: true)
        for i in p.indices {
            #expect(g[i].value.data == g2[i].value.data, "gradient \(i): the first pass is the same")
            expectClose(hv[i].value, hvRecorded[i].value, rtol: 1e-12, atol: 1e-14, "H·v block \(i)")
        }
        let fd = try Self.centralDifferenceHVP(
            { try Self.loss($0, x: Self.x, labels: Self.labels) }, leaves: { Self.parameters(shift: Self.vectors, by: $0) })
        for i in p.indices {
            #expect(fd[i].shape == Self.shapes[i])
            expectClose(hv[i].value, fd[i], rtol: 1e-5, atol: 1e-7, "H·v block \(i) against central differences")
        }
    }

    @Test func theCallersVectorsAndTensorsAreLeftIntact() throws {
        let p = Self.parameters()
        let before = p.map(\.value.data)
        let v = Self.vectors.map { Tensor($0) }
        let l = try Self.loss(p, x: Self.x, labels: Self.labels)
        let first = try hvp(of: l, wrt: p, vectors: v).hvp.map(\.value.data)
        // The seeds of the second pass are the caller's vectors: a product adds into
        // gathered sums, never into them.
        #expect(v.map(\.value.data) == Self.vectors.map(\.data))
        #expect(p.map(\.value.data) == before)
        // Same request, same bytes.
        #expect(try hvp(of: l, wrt: p, vectors: v).hvp.map(\.value.data) == first)
    }

    @Test func pairedProductsEqualProductsOneAtATime() {
        // W2's second layer: G Wᵀ and hᵀ G, 128×512×512 each (paired on oneDNN with two
        // cores), then the same added to gathered sums.
        func array(_ shape: [Int], _ seed: UInt64) -> NDArray<Float> {
            NDArray(shape: shape, data: GEMMTests.values(shape.reduce(1, *), seed: seed))
        }
        let g = array([128, 512], 1), w = array([512, 512], 2), h = array([128, 512], 3)
        let dx = GEMMOperands(g, w, transB: true), dW = GEMMOperands(h, g, transA: true)
        #expect(GEMM.pairs(dx.multiplyAdds, dW.multiplyAdds) == (GEMM.float32 == .onednn && Parallel.cores > 1))
        let (a, b) = gemmPair(dx, dW)
        expectClose(a, gemm(g, w, transB: true), rtol: 1e-5, atol: 1e-5, "G Wᵀ")
        expectClose(b, gemm(h, g, transA: true), rtol: 1e-5, atol: 1e-5, "hᵀ G")
        let s1 = array([128, 512], 4), s2 = array([512, 512], 5)
        var sums: (NDArray<Float>?, NDArray<Float>?) = (s1, s2)
        let (c, d) = gemmPair(dx, dW, adding: &sums)
        #expect(sums.0 == nil && sums.1 == nil, "both sums taken")
        expectClose(c, NDArray(shape: [128, 512], data: zip(a.data, s1.data).map { $0 + $1 }), rtol: 1e-5, atol: 1e-5, "s + G Wᵀ")
        expectClose(d, NDArray(shape: [512, 512], data: zip(b.data, s2.data).map { $0 + $1 }), rtol: 1e-5, atol: 1e-5, "s + hᵀ G")
        #expect(s1.data == GEMMTests.values(128 * 512, seed: 4), "a sum shared with the caller is copied, not written")
        // A sum of another size is left for the caller to add.
        var wrong: (NDArray<Float>?, NDArray<Float>?) = (array([4, 4], 6), nil)
        let (e, _) = gemmPair(dx, dW, adding: &wrong)
        #expect(wrong.0 != nil && e.data == a.data)
        // The bytes do not depend on the computation's share of threads.
        ThreadBudget.computationStarted()
        ThreadBudget.computationStarted()
        let (a1, b1) = gemmPair(dx, dW)
        ThreadBudget.computationFinished()
        ThreadBudget.computationFinished()
        #expect(a1.data == a.data && b1.data == b.data)
    }

    @Test func reluBackwardKeepsTorchsConventions() throws {
        // threshold_backward(g, y, 0): g where y > 0 or y is NaN, 0 at 0 and below.
        let y = NDArray<Double>(shape: [5], data: [-1, 0, 2, .nan, -0.0])
        let g = NDArray<Double>(shape: [5], data: [1, 2, 3, 4, .infinity])
        #expect(ReLUBackward().forward([g, y]).data.map { $0.bitPattern } == [0, 0, 3, 4, 0].map { Double($0).bitPattern })
        #expect(throws: OpError.self) { try ReLUBackward().outputShape([[2], [3]]) }
        // Its own gradient: itself for grad, none for output; relu's third derivative.
        let x = Tensor(NDArray<Double>(shape: [4], data: [-1.5, 0.5, 2, -0.25]), requiresGrad: true)
        let dy = try grad(of: try Tensor.apply(Sum(), [try Tensor.apply(Mul(), [relu(x), relu(x)])]), wrt: [x], createGraph: true)[0]
        #expect(dy.value.data == [0, 1, 4, 0])  // 2 relu(x) relu'(x)
        let d2 = try grad(of: try Tensor.apply(Sum(), [dy]), wrt: [x], createGraph: true)[0]
        #expect(d2.value.data == [0, 2, 2, 0])
        let d3 = try grad(of: try Tensor.apply(Sum(), [d2]), wrt: [x])[0]
        #expect(d3.value.data == [0, 0, 0, 0])
    }

    /// relu's forward pass (one pass of the vector kernel over the computation's threads)
    /// and ReLUBackward keep the scalar formulas to the bit (NaN and -0 pass through, 0 below
    /// zero) at sizes below, at and above the parallel threshold, with odd tails.
    @Test func reluAndItsGradientKeepTheFormulaAtEverySize() {
        for n in [0, 1, 17, Parallel.minimumElements - 1, Parallel.minimumElements, 3 * Parallel.minimumElements + 5] {
            var x = randomArray([n], in: -2...2, seed: UInt64(n) + 7).data
            var g = randomArray([n], in: -2...2, seed: UInt64(n) + 8).data
            for (i, special) in [Double.nan, -0.0, 0, .infinity, -.infinity].enumerated() where i < n {
                x[n - 1 - i] = special
                g[i] = special
            }
            for precision in ["double", "float"] {
                func bits(_ a: NDArray<Double>) -> [UInt64] { a.data.map(\.bitPattern) }
                let (xs, gs) = (NDArray(shape: [n], data: x), NDArray(shape: [n], data: g))
                if precision == "double" {
                    #expect(bits(ReLUOp().forward([xs])) == x.map { ($0 < 0 ? 0 : $0).bitPattern }, "relu, n = \(n)")
                    #expect(bits(ReLUBackward().forward([gs, xs])) == zip(g, x).map { ($1 <= 0 ? 0 : $0).bitPattern }, "n = \(n)")
                } else {
                    let (xf, gf) = (x.map { Float($0) }, g.map { Float($0) })
                    let y = ReLUOp().forward([NDArray(shape: [n], data: xf)]).data.map(\.bitPattern)
                    #expect(y == xf.map { ($0 < 0 ? 0 : $0).bitPattern }, "relu float, n = \(n)")
                    let d = ReLUBackward().forward([NDArray(shape: [n], data: gf), NDArray(shape: [n], data: xf)]).data.map(\.bitPattern)
                    #expect(d == zip(gf, xf).map { ($1 <= 0 ? 0 : $0).bitPattern }, "relu gradient float, n = \(n)")
                }
            }
        }
    }
}

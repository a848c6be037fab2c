/// Matrix product with NumPy's `matmul` (and `torch.matmul`) semantics, every product
/// through BLAS: a 1-D left operand is a row vector and a 1-D right operand a column
/// vector (their axis is removed from the result), and the axes before the last two are
/// batch axes that broadcast.
public struct MatMul: Operator {
    public static let signature = OpSignature(
        name: "matmul", arity: .exactly(2), inputs: ["a", "b"],
        summary: "matrix product a @ b as numpy.matmul: 1-D operands as vectors, batch axes broadcast (BLAS gemm)",
        pytorch: "torch.matmul(a, b)",
        shapeRule: "as numpy.matmul: [m, n] @ [n, k] is [m, k]; a 1-D a gains a leading and a 1-D b a trailing unit axis, removed again; batch axes broadcast; the inner dimensions must agree")

    /// The op; it has no attributes.
    public init() {}
    public init(attributes: Attributes) {}

    public func outputShape(_ inputs: [[Int]]) throws(OpError) -> [Int] {
        try MatMulPlan(inputs[0], inputs[1]).outputShape
    }

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func forward<T: Scalar>(_ x: [NDArray<T>]) -> NDArray<T> {
        guard let p = try? MatMulPlan(x[0].shape, x[1].shape) else { return x[0] }
        let out: NDArray<T>
        if p.bBatchCount == 1 {
            // b is one matrix: all of a's rows go through a single gemm.
            out = gemm(x[0].reshaped([p.aBatchCount * p.m, p.k]), x[1].reshaped([p.k, p.n]))
        } else {
            var c = [T](repeating: 0, count: p.batchCount * p.m * p.n)
            p.forEachBatch(x[0], x[1], into: &c) { a, b, c in
                T.gemm(
                    transA: false, transB: false, m: p.m, n: p.n, k: p.k,
                    alpha: 1, a: a, lda: p.k, b: b, ldb: p.n, beta: 0, c: c, ldc: p.n)
            }
            out = NDArray(shape: p.outputShape, data: c)
        }
        return out.reshaped(p.outputShape)
    }

    // For C = A B per batch: dA = G Bᵀ and dB = Aᵀ G, as gemm calls with a transposed
    // operand (for one matrix b, the two at once when gemmPair pairs them). An operand
    // broadcast over batch axes gets the sum over them, accumulated in place by gemm's
    // beta = 1.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func vjp<T: Scalar>(
        _ grad: NDArray<T>, inputs x: [NDArray<T>], output: NDArray<T>, needs: [Bool]
    ) -> [NDArray<T>?] {
        guard let p = try? MatMulPlan(x[0].shape, x[1].shape) else { return [nil, nil] }
        var da: NDArray<T>?
        var db: NDArray<T>?
        if p.bBatchCount == 1 {
            // As in the forward pass, the batch folds into the rows of single gemm calls.
            let g = grad.reshaped([p.batchCount * p.m, p.n])
            let a = x[0].reshaped([p.aBatchCount * p.m, p.k])
            let dA = GEMMOperands(g, x[1].reshaped([p.k, p.n]), transB: true)
            let dB = GEMMOperands(a, g, transA: true)
            if needs[0] && needs[1] {
                (da, db) = gemmPair(dA, dB)
            } else {
                if needs[0] { da = dA.product() }
                if needs[1] { db = dB.product() }
            }
        } else {
            let (m, n, k) = (p.m, p.n, p.k)
            if needs[0] {
                var c = [T](repeating: 0, count: p.aBatchCount * m * k)
                p.forEachBatch(grad, x[1], into: &c, aInputBatch: true) { g, b, c in
                    T.gemm(
                        transA: false, transB: true, m: m, n: k, k: n,
                        alpha: 1, a: g, lda: n, b: b, ldb: n, beta: 1, c: c, ldc: k)
                }
                da = NDArray(shape: [c.count], data: c)
            }
            if needs[1] {
                var c = [T](repeating: 0, count: p.bBatchCount * k * n)
                p.forEachBatch(x[0], grad, into: &c, bOutputBatch: true) { a, g, c in
                    T.gemm(
                        transA: true, transB: false, m: k, n: n, k: m,
                        alpha: 1, a: a, lda: k, b: g, ldb: n, beta: 1, c: c, ldc: n)
                }
                db = NDArray(shape: [c.count], data: c)
            }
        }
        return [da?.reshaped(x[0].shape), db?.reshaped(x[1].shape)]
    }
}

/// The shapes of a matmul: operands promoted to `[batch..., m, k]` and `[batch..., k, n]`
/// (a 1-D `a` as `[1, k]`, a 1-D `b` as `[k, 1]`), their broadcast batch and the result.
struct MatMulPlan {
    let m: Int, k: Int, n: Int
    let aBatch: [Int], bBatch: [Int], batch: [Int]
    let aBatchCount: Int, bBatchCount: Int, batchCount: Int
    let outputShape: [Int]

    init(_ a: [Int], _ b: [Int]) throws(OpError) {
        guard !a.isEmpty, !b.isEmpty else {
            throw .shape("matmul needs operands of rank 1 or more, got \(Shape.describe(a)) and \(Shape.describe(b))")
        }
        let a2 = a.count == 1 ? [1] + a : a
        let b2 = b.count == 1 ? b + [1] : b
        guard a2[a2.count - 1] == b2[b2.count - 2] else {
            throw .shape("matmul: inner dimensions differ: \(Shape.describe(a)) @ \(Shape.describe(b))")
        }
        aBatch = Array(a2.dropLast(2))
        bBatch = Array(b2.dropLast(2))
        guard let batch = Shape.broadcast(aBatch, bBatch) else {
            throw .shape(
                "matmul: batch axes \(Shape.describe(aBatch)) and \(Shape.describe(bBatch)) do not broadcast")
        }
        self.batch = batch
        m = a2[a2.count - 2]
        k = a2[a2.count - 1]
        n = b2[b2.count - 1]
        outputShape = batch + (a.count == 1 ? [] : [m]) + (b.count == 1 ? [] : [n])
        guard let ac = Shape.count(aBatch), let bc = Shape.count(bBatch), let c = Shape.count(batch),
            Shape.count(outputShape) != nil
        else {
            throw .shape("matmul: \(Shape.describe(a)) @ \(Shape.describe(b)) has too many elements")
        }
        aBatchCount = ac
        bBatchCount = bc
        batchCount = c
    }

    /// Calls `body` once per batch matrix of the result, in row-major batch order, with
    /// pointers to the matrices of `x` and `y` and to a block of `c`. By default `x` and
    /// `y` are the operands (read through their broadcast batch) and `c` holds one block
    /// per output batch. With `aInputBatch`, `x` is the upstream gradient (output batch)
    /// and `c` is indexed like `a`'s batch; with `bOutputBatch`, `y` is the upstream
    /// gradient and `c` is indexed like `b`'s batch.
    func forEachBatch<T: Scalar>(
        _ x: NDArray<T>, _ y: NDArray<T>, into c: inout [T],
        aInputBatch: Bool = false, bOutputBatch: Bool = false,
        _ body: (UnsafePointer<T>, UnsafePointer<T>, UnsafeMutablePointer<T>) -> Void
    ) {
        guard m > 0, n > 0, k > 0, batchCount > 0 else { return }
        let aOffsets = batchOffsets(aBatch, matrix: m * k)
        let bOffsets = batchOffsets(bBatch, matrix: k * n)
        let outOffsets = (0..<batchCount).map { $0 * m * n }
        let xOffsets = aInputBatch ? outOffsets : aOffsets
        let yOffsets = bOutputBatch ? outOffsets : bOffsets
        let cOffsets = aInputBatch ? aOffsets : bOutputBatch ? bOffsets : outOffsets
        x.data.withUnsafeBufferPointer { px in
            y.data.withUnsafeBufferPointer { py in
                c.withUnsafeMutableBufferPointer { pc in
                    guard let px = px.baseAddress, let py = py.baseAddress, let pc = pc.baseAddress else { return }
                    for i in 0..<batchCount {
                        body(px + xOffsets[i], py + yOffsets[i], pc + cOffsets[i])
                    }
                }
            }
        }
    }

    /// For each output batch index, the offset of an operand's matrix (`Shape.batchOffsets`).
    private func batchOffsets(_ own: [Int], matrix: Int) -> [Int] {
        Shape.batchOffsets(own, in: batch, count: batchCount, matrix: matrix)
    }
}

/// `op(a) @ op(b)` for 2-D arrays, where `op` transposes when asked; through BLAS.
/// With `addend` (`[n]`, or `[m, n]`), each row of the result starts as it and the product
/// is added to it by gemm's `beta = 1`: a bias costs no second pass or array.
func gemm<T: Scalar>(
    _ a: NDArray<T>, _ b: NDArray<T>, transA: Bool = false, transB: Bool = false, addend: NDArray<T>? = nil
) -> NDArray<T> {
    let m = transA ? a.shape[1] : a.shape[0]
    let k = transA ? a.shape[0] : a.shape[1]
    let n = transB ? b.shape[0] : b.shape[1]
    // Without an addend gemm's beta = 0 overwrites C, so it is not zeroed first (a whole
    // pass over the output: 4% of a 1024² sgemm); k = 0 leaves it untouched, so zero it.
    var c: [T]
    if let addend {
        c = addend.count == m * n ? addend.data : [T](unsafeUninitializedCapacity: m * n) { buffer, count in
            addend.data.withUnsafeBufferPointer { row in
                // Both are non-nil unless m * n == 0, when there is nothing to copy.
                guard let dst = buffer.baseAddress, let src = row.baseAddress else { return }
                for i in 0..<m { (dst + i * n).initialize(from: src, count: n) }
            }
            count = m * n
        }
    } else if k > 0 {
        c = uninitializedProduct(count: m * n)
    } else {
        c = [T](repeating: 0, count: m * n)
    }
    multiply(a, b, transA: transA, transB: transB, into: &c, m: m, n: n, k: k, beta: addend == nil ? 0 : 1)
    return NDArray(shape: [m, n], data: c)
}

/// Storage for a product's `count` elements, left uninitialised for a gemm with beta = 0
/// to write; 8 MiB or more asks for transparent huge pages (`MemoryPolicy`).
func uninitializedProduct<T: Scalar>(count: Int) -> [T] {
    [T](unsafeUninitializedCapacity: count) { buffer, initialized in
        if let base = buffer.baseAddress {
            MemoryPolicy.adviseHugePages(UnsafeMutableRawPointer(base), bytes: count * MemoryLayout<T>.stride)
        }
        initialized = count
    }
}

/// `c = op(a) op(b) + beta c` (`c` is `[m, n]`) through `T.gemm`; nothing for an empty product.
func multiply<T: Scalar>(
    _ a: NDArray<T>, _ b: NDArray<T>, transA: Bool, transB: Bool, into c: inout [T], m: Int, n: Int, k: Int, beta: T
) {
    guard m > 0 && n > 0 && k > 0 else { return }
    a.data.withUnsafeBufferPointer { pa in
        b.data.withUnsafeBufferPointer { pb in
            c.withUnsafeMutableBufferPointer { pc in
                guard let pa = pa.baseAddress, let pb = pb.baseAddress, let pc = pc.baseAddress else { return }
                T.gemm(
                    transA: transA, transB: transB, m: m, n: n, k: k,
                    alpha: 1, a: pa, lda: a.shape[1], b: pb, ldb: b.shape[1], beta: beta, c: pc, ldc: n)
            }
        }
    }
}

/// The operands of one `gemm`: `op(a) @ op(b)` for 2-D arrays.
struct GEMMOperands<T: Scalar> {
    let a: NDArray<T>, b: NDArray<T>
    let transA: Bool, transB: Bool
    let m: Int, n: Int, k: Int

    init(_ a: NDArray<T>, _ b: NDArray<T>, transA: Bool = false, transB: Bool = false) {
        self.a = a
        self.b = b
        self.transA = transA
        self.transB = transB
        m = transA ? a.shape[1] : a.shape[0]
        k = transA ? a.shape[0] : a.shape[1]
        n = transB ? b.shape[0] : b.shape[1]
    }

    var multiplyAdds: Int { GEMM.multiplyAdds(m, n, k) }

    /// The product, as `gemm` computes it alone; with `sum` (of `[m, n]` elements, taken),
    /// the product added to it by gemm's beta = 1, in its storage when that is not shared.
    func product(adding sum: inout NDArray<T>?) -> NDArray<T> {
        guard var c = GEMMOperands.take(&sum, count: m * n) else { return gemm(a, b, transA: transA, transB: transB) }
        multiply(a, b, transA: transA, transB: transB, into: &c, m: m, n: n, k: k, beta: 1)
        return NDArray(shape: [m, n], data: c)
    }

    /// The product alone (`product(adding:)` with nothing to add to).
    func product() -> NDArray<T> {
        var none: NDArray<T>? = nil
        return product(adding: &none)
    }

    /// `sum`'s elements, moved out of it (nil, leaving it untouched, unless it holds
    /// exactly `count`), so that writing them copies nothing unless another array shares them.
    static func take(_ sum: inout NDArray<T>?, count: Int) -> [T]? {
        guard sum?.count == count, var s = sum.take() else { return nil }
        var data: [T] = []
        swap(&data, &s.data)
        return data
    }

    /// Block `i` of `cut` (`GEMM.block`) into `c`, the whole `[m, n]` result, on the
    /// calling thread, with gemm's `beta` (0: overwrite, 1: add to).
    func block(_ i: Int, of cut: (count: Int, alongRows: Bool), into c: UnsafeMutablePointer<T>, beta: T) {
        a.data.withUnsafeBufferPointer { pa in
            b.data.withUnsafeBufferPointer { pb in
                guard let pa = pa.baseAddress, let pb = pb.baseAddress else { return }
                let (lda, ldb) = (a.shape[1], b.shape[1])
                GEMM.block(i, of: cut, transA: transA, transB: transB, m: m, n: n, a: pa, lda: lda, b: pb, ldb: ldb, c: c, ldc: n) {
                    rows, cols, a, b, c in
                    T.gemmOnCallingThread(
                        transA: transA, transB: transB, m: rows, n: cols, k: k, alpha: 1,
                        a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: n)
                }
            }
        }
    }
}

/// Two independent products, as `(first.product(adding:), second.product(adding:))`
/// computes them, but at once when `GEMM.pairs` says so: the two of a matrix product's
/// vector-Jacobian product (G Bᵀ and Aᵀ G) on two cores each run whole on its own core,
/// which is faster than each cut in halves over both cores in turn. Whether they pair,
/// and how each is cut, depend on the shapes and the machine's cores only; with one
/// thread for the computation the blocks run in turn on the calling thread, the same
/// bytes. `sums` (taken when of the product's size) are added to, as `product(adding:)`.
@_specialize(where T == Float)
@_specialize(where T == Double)
func gemmPair<T: Scalar>(
    _ first: GEMMOperands<T>, _ second: GEMMOperands<T>, adding sums: inout (NDArray<T>?, NDArray<T>?)
) -> (NDArray<T>, NDArray<T>) {
    guard T.gemmRunsOnCallingThread, GEMM.pairs(first.multiplyAdds, second.multiplyAdds) else {
        return (first.product(adding: &sums.0), second.product(adding: &sums.1))
    }
    let cuts = [
        GEMM.pairBlocks(m: first.m, n: first.n, k: first.k), GEMM.pairBlocks(m: second.m, n: second.n, k: second.k),
    ]
    // Both have m, n, k > 0 (at least `GEMM.pairFrom` multiply-adds each), so every
    // element of a fresh array is written.
    let given = (GEMMOperands.take(&sums.0, count: first.m * first.n), GEMMOperands.take(&sums.1, count: second.m * second.n))
    let beta: (T, T) = (given.0 == nil ? 0 : 1, given.1 == nil ? 0 : 1)
    var c1 = given.0 ?? uninitializedProduct(count: first.m * first.n)
    var c2 = given.1 ?? uninitializedProduct(count: second.m * second.n)
    c1.withUnsafeMutableBufferPointer { o1 in
        c2.withUnsafeMutableBufferPointer { o2 in
            guard let o1 = o1.baseAddress, let o2 = o2.baseAddress else { return }
            let out = UncheckedSendable((o1, o2))
            let items = cuts[0].count + cuts[1].count
            let run = { (i: Int) in
                if i < cuts[0].count {
                    first.block(i, of: cuts[0], into: out.value.0, beta: beta.0)
                } else {
                    second.block(i - cuts[0].count, of: cuts[1], into: out.value.1, beta: beta.1)
                }
            }
            if items == 2 && ThreadBudget.threadsPerComputation > 1 {
                // One each, the first on this thread.
                Parallel.run(workers: 2, run)
            } else {
                Parallel.forEachItem(items, parallelFrom: 2, run)
            }
        }
    }
    return (NDArray(shape: [first.m, first.n], data: c1), NDArray(shape: [second.m, second.n], data: c2))
}

/// `gemmPair` with nothing to add to.
@_specialize(where T == Float)
@_specialize(where T == Double)
func gemmPair<T: Scalar>(_ first: GEMMOperands<T>, _ second: GEMMOperands<T>) -> (NDArray<T>, NDArray<T>) {
    var none: (NDArray<T>?, NDArray<T>?) = (nil, nil)
    return gemmPair(first, second, adding: &none)
}

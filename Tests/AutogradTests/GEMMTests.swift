import Dispatch
import Synchronization
import Foundation
import Testing

@testable import Autograd

#if canImport(Glibc)
import Glibc
#endif

/// The matrix-product seam (`GEMM`, `Scalar.gemm`): both float32 libraries against a
/// naive reference over every transpose, padded strides, empty and unit sizes and the
/// alpha/beta values the engine passes; and the determinism rule: a product's bytes do
/// not depend on how many computations run at once, nor on repeating it.
@Suite(.serialized) struct GEMMTests {
    /// Values in [-1, 1] from a fixed seed.
    static func values(_ count: Int, seed: UInt64) -> [Float] {
        var rng = SplitMix64(seed: seed)
        return (0..<count).map { _ in Float(Double(rng.next() % 2_000_001) / 1_000_000 - 1) }
    }

    /// One product's operands in row-major storage with leading dimensions padded by `pad`.
    struct Case {
        var transA: Bool, transB: Bool, m: Int, n: Int, k: Int, pad: Int, alpha: Float, beta: Float
        var aRows: Int { transA ? k : m }
        var aCols: Int { transA ? m : k }
        var bRows: Int { transB ? n : k }
        var bCols: Int { transB ? k : n }
        var lda: Int { max(1, aCols + pad) }
        var ldb: Int { max(1, bCols + pad) }
        var ldc: Int { max(1, n + pad) }
    }

    /// `c` after `C = alpha op(A) op(B) + beta C` through `library`, C starting as
    /// `start` (NaN where beta = 0: it must be overwritten, not read), and the bound of
    /// each element's float32 rounding error against the double reference.
    static func run(_ library: GEMM.Library, _ t: Case, seed: UInt64) -> (got: [Float], want: [Double], bound: [Double]) {
        let a = values(max(1, t.aRows * t.lda), seed: seed)
        let b = values(max(1, t.bRows * t.ldb), seed: seed + 1)
        let start = t.beta == 0 ? [Float](repeating: .nan, count: max(1, t.m * t.ldc)) : values(max(1, t.m * t.ldc), seed: seed + 2)
        var c = start
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                c.withUnsafeMutableBufferPointer { pc in
                    GEMM.sgemm(
                        library, transA: t.transA, transB: t.transB, m: t.m, n: t.n, k: t.k, alpha: t.alpha,
                        a: pa.baseAddress!, lda: t.lda, b: pb.baseAddress!, ldb: t.ldb, beta: t.beta,
                        c: pc.baseAddress!, ldc: t.ldc)
                }
            }
        }
        var got: [Float] = [], want: [Double] = [], bound: [Double] = []
        for i in 0..<t.m {
            for j in 0..<t.n {
                var sum = 0.0, magnitude = 0.0
                for p in 0..<t.k {
                    let x = Double(t.transA ? a[p * t.lda + i] : a[i * t.lda + p])
                    let y = Double(t.transB ? b[j * t.ldb + p] : b[p * t.ldb + j])
                    sum += x * y
                    magnitude += abs(x * y)
                }
                let c0 = t.beta == 0 ? 0 : Double(start[i * t.ldc + j])
                got.append(c[i * t.ldc + j])
                want.append(Double(t.alpha) * sum + Double(t.beta) * c0)
                bound.append(Double(t.k + 2) * Double(Float.ulpOfOne) * (abs(Double(t.alpha)) * magnitude + abs(c0)) + 1e-30)
            }
        }
        // Padding between rows of C is never written.
        for i in 0..<t.m {
            for j in t.n..<(t.ldc) where j < t.ldc && i * t.ldc + j < c.count {
                #expect(c[i * t.ldc + j].bitPattern == start[i * t.ldc + j].bitPattern, "padding of C written")
            }
        }
        return (got, want, bound)
    }

    static let libraries: [GEMM.Library] = [.openblas, .onednn]

    @Test func bothLibrariesMatchTheNaiveProduct() {
        let sizes = [(0, 3, 4), (3, 0, 4), (3, 4, 0), (1, 1, 1), (1, 7, 5), (7, 1, 5), (5, 7, 1), (1, 1, 300),
                     (17, 19, 23), (33, 65, 129), (64, 64, 64), (130, 10, 97)]
        var seed: UInt64 = 1
        for library in Self.libraries {
            for (m, n, k) in sizes {
                for transA in [false, true] {
                    for transB in [false, true] {
                        for pad in [0, 3] {
                            // alpha 1 (products), the attention's 1/sqrt(E); beta 0 (a fresh C)
                            // and 1 (a bias row or an accumulated gradient).
                            for (alpha, beta) in [(Float(1), Float(0)), (1, 1), (0.125, 0), (0.125, 1)] {
                                let t = Case(transA: transA, transB: transB, m: m, n: n, k: k, pad: pad, alpha: alpha, beta: beta)
                                let r = Self.run(library, t, seed: seed)
                                seed += 3
                                let bad = r.got.indices.first { !(abs(Double(r.got[$0]) - r.want[$0]) <= r.bound[$0]) }
                                #expect(r.got.count == m * n && bad == nil,
                                        "\(library) \(m)×\(n)×\(k) transA \(transA) transB \(transB) pad \(pad) alpha \(alpha) beta \(beta): element \(bad ?? -1) \(bad.map { "\(r.got[$0]) vs \(r.want[$0])" } ?? "")")
                            }
                        }
                    }
                }
            }
        }
    }

    /// Products large enough to be cut into blocks (`GEMM.blocks`): along C's rows
    /// (257 rows: blocks of 128 and 129) and along its columns (300 columns: 144 and 156),
    /// every transpose, padded leading dimensions, beta 0 and 1, against the naive product.
    @Test func blockedProductsMatchTheNaiveProduct() {
        let sizes = [(257, 129, 100), (100, 300, 80)]
        #expect(GEMM.blocks(m: 257, n: 129, k: 100) == (Parallel.cores > 1 ? (2, true) : (1, true)))
        #expect(GEMM.blocks(m: 100, n: 300, k: 80) == (Parallel.cores > 1 ? (2, false) : (1, false)))
        var seed: UInt64 = 9
        for library in Self.libraries {
            for (m, n, k) in sizes {
                for transA in [false, true] {
                    for transB in [false, true] {
                        for (alpha, beta) in [(Float(1), Float(0)), (0.125, 1)] {
                            let t = Case(transA: transA, transB: transB, m: m, n: n, k: k, pad: 3, alpha: alpha, beta: beta)
                            let r = Self.run(library, t, seed: seed)
                            seed += 3
                            let bad = r.got.indices.first { !(abs(Double(r.got[$0]) - r.want[$0]) <= r.bound[$0]) }
                            #expect(r.got.count == m * n && bad == nil,
                                    "\(library) \(m)×\(n)×\(k) transA \(transA) transB \(transB) alpha \(alpha) beta \(beta): element \(bad ?? -1)")
                        }
                    }
                }
            }
        }
    }

    /// The cut: by shape only, blocks that cover C exactly, aligned to 16, none thinner
    /// than 64, and none for products too small to pay for a second thread.
    @Test func blocksAreAFunctionOfTheShape() {
        let cores = Parallel.cores
        #expect(GEMM.blocks(m: 128, n: 128, k: 64).count == 1)  // 1 M multiply-adds: not worth a thread
        #expect(GEMM.blocks(m: 100, n: 100, k: 100_000).count == 1)  // 100 rows: too narrow for two blocks of 64
        #expect(GEMM.blocks(m: 128, n: 512, k: 784) == (min(cores, 8), false))  // W2's first layer: C's columns
        #expect(GEMM.blocks(m: 1024, n: 256, k: 1024) == (min(cores, 16), true))  // W7's projection: C's rows
        for (m, n, k) in [(128, 512, 784), (784, 512, 128), (1024, 256, 1024), (64, 288, 8192), (8192, 288, 64), (4096, 10, 32), (1, 100_000, 64)] {
            let cut = GEMM.blocks(m: m, n: n, k: k)
            let extent = cut.alongRows ? m : n
            #expect(cut.alongRows == (m >= n))
            #expect(cut.count >= 1 && cut.count <= max(1, cores))
            var covered = 0
            for i in 0..<cut.count {
                let start = GEMM.blockStart(i, of: cut.count, extent: extent)
                let end = GEMM.blockStart(i + 1, of: cut.count, extent: extent)
                #expect(start == covered && end > start, "\(m)×\(n)×\(k) block \(i)")
                #expect(i == 0 || start % GEMM.blockAlignment == 0)
                #expect(cut.count == 1 || end - start >= GEMM.minimumBlock - GEMM.blockAlignment)
                covered = end
            }
            #expect(covered == extent)
        }
    }

    /// OPENBLAS_CORETYPE is suggested only when OpenBLAS chose kernels older than the
    /// CPU's vectors: SkylakeX for AVX-512, Haswell for AVX2, nothing otherwise.
    @Test func anOldOpenBLASCoreOnANewCPUGetsACoreType() {
        #expect(BLAS.suggestedCoreType(core: "Prescott", hardwareLevel: 2) == "SkylakeX")
        #expect(BLAS.suggestedCoreType(core: "Nehalem", hardwareLevel: 1) == "Haswell")
        #expect(BLAS.suggestedCoreType(core: "Prescott", hardwareLevel: 0) == nil)
        #expect(BLAS.suggestedCoreType(core: "SkylakeX", hardwareLevel: 2) == nil)
        #expect(BLAS.suggestedCoreType(core: "Haswell", hardwareLevel: 2) == nil)
        #expect(BLAS.suggestedCoreType(core: "Zen", hardwareLevel: 1) == nil)
        #expect(BLAS.suggestedCoreType(environment: ["OPENBLAS_CORETYPE": "Prescott"]) == nil)
    }

    /// A process starts with OpenBLAS's idle threads asleep after 2^20 cycles unless its
    /// environment says otherwise, and with its own core type where it names one.
    @Test func theStartupEnvironmentAddsOnlyWhatIsMissing() {
        let core = ["OPENBLAS_CORETYPE": "Haswell"]
        #expect(BLAS.startupEnvironment(core) == ["OPENBLAS_THREAD_TIMEOUT": "20"])
        #expect(BLAS.startupEnvironment(core.merging(["OPENBLAS_THREAD_TIMEOUT": "28"]) { $1 }) == [:])
        #expect(BLAS.startupEnvironment(core.merging(["GOTO_THREAD_TIMEOUT": "10"]) { $1 }) == [:])
        // Without OPENBLAS_CORETYPE, a core type only where OpenBLAS took this CPU for an
        // old one (what this process's OpenBLAS runs is the test's own environment's).
        let chosen = BLAS.startupEnvironment([:])
        #expect(chosen["OPENBLAS_THREAD_TIMEOUT"] == "20")
        #expect(chosen["OPENBLAS_CORETYPE"] == BLAS.suggestedCoreType(environment: [:]))
        #expect(Set(chosen.keys).isSubset(of: ["OPENBLAS_THREAD_TIMEOUT", "OPENBLAS_CORETYPE"]))
    }

    /// oneDNN is used exactly when libdnnl.so.2 loads here and AUTOGRAD_GEMM does not say
    /// openblas; tiny products stay on OpenBLAS; float64 never goes through oneDNN.
    @Test func theSeamChoosesOneDNNWhenItLoads() {
        let forced = ProcessInfo.processInfo.environment["AUTOGRAD_GEMM"]
        var loads = false
        if let handle = dlopen("libdnnl.so.2", RTLD_NOW | RTLD_LOCAL) {
            loads = dlsym(handle, "dnnl_sgemm") != nil
        }
        let expected: GEMM.Library = loads && forced != "openblas" ? .onednn : .openblas
        #expect(GEMM.float32 == expected, "\(GEMM.float32Description)")
        #expect(GEMM.float32Description.hasPrefix(expected.rawValue))
    }

    /// The workloads' float32 products (W2's MLP, W6's im2col convolutions, W7's
    /// projections and attention) and odd sizes, through the seam.
    static let shapes: [(m: Int, n: Int, k: Int, transA: Bool, transB: Bool)] = [
        (128, 512, 784, false, false), (128, 10, 512, false, false), (512, 10, 128, true, false),
        (128, 512, 10, false, true), (784, 512, 128, true, false), (128, 512, 512, false, true),
        (32, 27, 32768, false, true), (64, 288, 8192, false, true), (288, 8192, 64, true, false),
        (32, 10, 4096, false, false), (4096, 10, 32, true, false),
        (1024, 256, 1024, false, true), (256, 256, 1024, true, false), (1024, 1000, 256, false, false),
        (128, 128, 64, false, true), (128, 64, 128, true, false),
        (1, 1000, 5000, false, false), (1, 1, 100_000, false, false), (257, 199, 301, true, true),
    ]

    /// The seam's bytes for one product (alpha 1, beta 0 as the engine's forward products).
    static func product(_ s: (m: Int, n: Int, k: Int, transA: Bool, transB: Bool), seed: UInt64) -> [UInt32] {
        let a = values(s.m * s.k, seed: seed), b = values(s.k * s.n, seed: seed + 1)
        var c = [Float](repeating: .nan, count: s.m * s.n)
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                c.withUnsafeMutableBufferPointer { pc in
                    Float.gemm(
                        transA: s.transA, transB: s.transB, m: s.m, n: s.n, k: s.k, alpha: 1,
                        a: pa.baseAddress!, lda: s.transA ? s.m : s.k, b: pb.baseAddress!, ldb: s.transB ? s.k : s.n,
                        beta: 0, c: pc.baseAddress!, ldc: s.n)
                }
            }
        }
        return c.map(\.bitPattern)
    }
}

/// The seam's determinism under the thread budget: in `ThreadBudgetTests`, whose tests run
/// one at a time, because they change the process's budget.
extension ThreadBudgetTests {
    /// The same product gives the same bytes alone, repeated, with other computations
    /// registered (the computation's share of threads 1 instead of 2), and on two threads
    /// at once: the library's thread count follows the budget, never the load. (With
    /// oneDNN, 64×288×8192 and 1024×256×1024 ABᵀ differ in the last bits between 1 and 2
    /// threads: it splits their inner dimension; hence the rule.)
    @Test func productsDoNotDependOnConcurrency() {
        let saved = ThreadBudget.threads
        defer { ThreadBudget.threads = saved }
        ThreadBudget.threads = 2
        for (i, s) in GEMMTests.shapes.enumerated() {
            let what = "\(s.m)×\(s.n)×\(s.k) transA \(s.transA) transB \(s.transB) (\(GEMM.float32Library(m: s.m, n: s.n, k: s.k)))"
            let alone = GEMMTests.product(s, seed: UInt64(10 * i))
            #expect(!alone.contains { Float(bitPattern: $0).isNaN }, "\(what): NaN")
            #expect(GEMMTests.product(s, seed: UInt64(10 * i)) == alone, "\(what): repeated")
            ThreadBudget.computationStarted()
            ThreadBudget.computationStarted()
            #expect(ThreadBudget.threadsPerComputation == 1)
            let shared = GEMMTests.product(s, seed: UInt64(10 * i))
            ThreadBudget.computationFinished()
            ThreadBudget.computationFinished()
            #expect(shared == alone, "\(what): with other computations running")
            let results = Mutex<[[UInt32]]>([])
            DispatchQueue.concurrentPerform(iterations: 2) { _ in
                let r = GEMMTests.product(s, seed: UInt64(10 * i))
                results.withLock { $0.append(r) }
            }
            #expect(results.withLock { $0 } == [alone, alone], "\(what): two at once")
        }
    }

    /// Every oneDNN call runs on one thread and a product's blocks are cut by its shape
    /// alone, so its bytes do not even depend on `ThreadBudget.threads` (OpenBLAS's do),
    /// the inner-dimension-split shapes and the blocked ones included.
    @Test func oneDNNProductsDoNotDependOnTheBudget() {
        let saved = ThreadBudget.threads
        defer { ThreadBudget.threads = saved }
        var compared = 0
        for (i, s) in GEMMTests.shapes.enumerated() {
            ThreadBudget.threads = 1
            let library1 = GEMM.float32Library(m: s.m, n: s.n, k: s.k)
            let one = GEMMTests.product(s, seed: UInt64(7 * i))
            ThreadBudget.threads = 2
            let library2 = GEMM.float32Library(m: s.m, n: s.n, k: s.k)
            guard library1 == .onednn && library2 == .onednn else { continue }
            compared += 1
            #expect(GEMMTests.product(s, seed: UInt64(7 * i)) == one, "\(s)")
        }
        #expect(GEMM.float32 == .onednn ? compared >= 10 : compared == 0)
    }

    /// The seam's choice per shape, on any budget: oneDNN for the workloads' products
    /// (W6's long-K weight gradients included), tiny ones on OpenBLAS.
    @Test func theSeamChoosesPerShape() {
        let saved = ThreadBudget.threads
        defer { ThreadBudget.threads = saved }
        let oneDNN: GEMM.Library = GEMM.float32 == .onednn ? .onednn : .openblas
        for threads in [1, 2, 4] {
            ThreadBudget.threads = threads
            #expect(GEMM.float32Library(m: 16, n: 16, k: 16) == .openblas)
            #expect(GEMM.float32Library(m: 128, n: 512, k: 784) == oneDNN)
            #expect(GEMM.float32Library(m: 128, n: 10, k: 512) == oneDNN)
            #expect(GEMM.float32Library(m: 1024, n: 256, k: 1024) == oneDNN)
            #expect(GEMM.float32Library(m: 64, n: 8192, k: 288) == oneDNN)
            for (m, n, k) in [(32, 27, 32768), (64, 288, 8192), (32, 32768, 27), (17, 1, 241)] {
                #expect(GEMM.float32Library(m: m, n: n, k: k) == oneDNN, "\(m)×\(n)×\(k) on \(threads)")
            }
        }
    }
}

import CAutogradGemm
import CAutogradKernels
import COpenBLAS

#if canImport(FoundationEssentials)
import FoundationEssentials  // ProcessInfo
#else
import Foundation
#endif

/// OpenBLAS's thread pool. Set through `ThreadBudget` rather than directly, so that
/// elementwise loops follow the same budget.
public enum BLAS {
    /// Threads each BLAS call may use.
    public static var threads: Int { Int(openblas_get_num_threads()) }

    /// Sets the threads each BLAS call may use (at least 1).
    public static func setThreads(_ n: Int) { openblas_set_num_threads(Int32(max(1, n))) }

    /// The kernel family OpenBLAS chose for this CPU when it loaded, e.g. "SkylakeX",
    /// "Haswell" or "Prescott".
    public static var coreName: String { openblas_get_corename().map { String(cString: $0) } ?? "unknown" }

    /// The kernel families that use neither AVX2 nor AVX-512.
    static let preAVX2Cores: Set<String> = [
        "prescott", "core2", "penryn", "dunnington", "nehalem", "atom", "katmai", "coppermine", "northwood",
        "banias", "opteron", "barcelona", "bobcat", "sandybridge", "bulldozer", "piledriver", "unknown",
    ]

    /// An `OPENBLAS_CORETYPE` for a process to be started with when OpenBLAS took a CPU it
    /// does not know for an old one: Debian 12's OpenBLAS 0.3.21 runs its SSE3
    /// ("Prescott") kernels on Emerald Rapids Xeons (model 207), 4.6x slower in float64
    /// products than its SkylakeX ones on the same CPU (docs/performance.md). nil when
    /// OpenBLAS's choice uses the CPU's vectors already or `OPENBLAS_CORETYPE` is set.
    /// OpenBLAS reads the variable only when it loads, so an executable sets it and
    /// execs itself (autograd-server does).
    public static func suggestedCoreType(environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        guard environment["OPENBLAS_CORETYPE"] == nil else { return nil }
        return suggestedCoreType(forCore: coreName)
    }

    /// How long OpenBLAS's idle worker threads spin before they sleep, as the exponent of
    /// a count of cycles (`OPENBLAS_THREAD_TIMEOUT`): 2^20, about 0.3 ms, where OpenBLAS's
    /// own default is 2^28, about 80 ms. A worker spins (yielding, so runnable all the
    /// while) that long after every threaded product and after the library loads; on a
    /// 2-core machine it held one core through the first 80 ms of every process, the
    /// engine's parallel loops shared the other, and W3's fused loop ran at one core's
    /// speed (0.82–0.96 ms against 0.40–0.47) in about a third of fresh processes.
    public static let threadTimeoutExponent = 20

    /// The variables OpenBLAS reads when it loads that a process should be started with,
    /// given its environment: `OPENBLAS_CORETYPE` when OpenBLAS took this CPU for an old one
    /// (`suggestedCoreType`), and `OPENBLAS_THREAD_TIMEOUT` (`threadTimeoutExponent`) unless
    /// the environment sets it or `GOTO_THREAD_TIMEOUT`. Empty when there is nothing to
    /// add. OpenBLAS reads them only when it loads, so an executable sets them and execs
    /// itself (autograd-server and autograd-bench do); a library user sets them before
    /// starting the program.
    public static func startupEnvironment(
        _ environment: [String: String] = ProcessInfo.processInfo.environment
    ) -> [String: String] {
        var settings: [String: String] = [:]
        if let core = suggestedCoreType(environment: environment) { settings["OPENBLAS_CORETYPE"] = core }
        if environment["OPENBLAS_THREAD_TIMEOUT"] == nil && environment["GOTO_THREAD_TIMEOUT"] == nil {
            settings["OPENBLAS_THREAD_TIMEOUT"] = String(threadTimeoutExponent)
        }
        return settings
    }

    /// The core to ask OpenBLAS for when it chose `core` on this machine, or nil when
    /// `core` is not one it takes for an older CPU.
    static func suggestedCoreType(forCore core: String) -> String? {
        suggestedCoreType(core: core, hardwareLevel: Int(cak_hardware_level()))
    }

    static func suggestedCoreType(core: String, hardwareLevel: Int) -> String? {
        guard preAVX2Cores.contains(core.lowercased()) else { return nil }
        switch hardwareLevel {
        case Int(CAK_AVX512): return "SkylakeX"
        case Int(CAK_AVX2): return "Haswell"
        default: return nil
        }
    }
}

/// The matrix-product seam (`Scalar.gemm`): which library computes a product, chosen per
/// precision and shape so that the rest of the engine never names one.
///
/// float64 products go to OpenBLAS. float32 products go to oneDNN's `dnnl_sgemm` when
/// `libdnnl.so.2` loads at run time (dlopen, never linked: CAutogradGemm), whose AVX-512
/// kernel on one thread reaches what OpenBLAS reaches on two at the workloads' shapes
/// (docs/performance.md), except the tiny ones (`oneDNNFrom`), where OpenBLAS's shorter
/// call path wins; without oneDNN, or with `AUTOGRAD_GEMM=openblas`, every product goes
/// to OpenBLAS as before.
///
/// Determinism: both libraries' results depend on their thread count (oneDNN splits the
/// inner dimension of some shapes among threads, W6's 64×288×8192 weight gradient for
/// one, and adds the parts), so every oneDNN call runs on one thread.
/// Large float32 products use the other cores by another route: `blocks(m:n:k:)` cuts
/// them into row or column blocks, independent one-thread products that run at once when
/// the computation's share of threads allows and one after another when not. The cut is a
/// function of the shape (and the machine's core count) only, never of the load or of
/// `ThreadBudget.threads`, and a block's elements are the same bytes wherever it runs.
public enum GEMM {
    /// A library behind the seam.
    public enum Library: String, Sendable {
        /// OpenBLAS's `cblas_sgemm` / `cblas_dgemm`.
        case openblas
        /// oneDNN's `dnnl_sgemm` (float32 only), opened at run time.
        case onednn
    }

    /// The library this process's float32 products use (above `oneDNNFrom`), decided
    /// on first use.
    public static var float32: Library { usesOneDNN ? .onednn : .openblas }

    /// One line: the float32 library and why, e.g. "onednn 2.6.3 (libdnnl.so.2, OpenMP)"
    /// or "openblas (libdnnl.so.2 could not be loaded)".
    public static var float32Description: String { String(cString: cag_sgemm_description()) }

    /// float32 products of fewer multiply-adds (m·n·k) than this stay on OpenBLAS.
    static let oneDNNFrom = 16 * 16 * 16 + 1

    static let usesOneDNN = cag_sgemm_library() == Int32(CAG_ONEDNN)

    /// oneDNN products of at least this many multiply-adds (about 15 µs on one core) are
    /// cut into blocks (`blocks(m:n:k:)`); below it waking a second thread costs more than
    /// it saves.
    static let blockFrom = 1 << 21

    /// Rows or columns of a block: at least this many, and a multiple of `blockAlignment`
    /// (one AVX-512 register of floats), so that no block is a sliver oneDNN computes with
    /// a different kernel.
    static let minimumBlock = 64
    static let blockAlignment = 16

    /// How a oneDNN product of these sizes is cut: `count` blocks (1: not cut) along the
    /// rows of C (`m`) or, when `n` is the larger, along its columns. A function of the
    /// shape and `Parallel.cores` only, so the product's bytes never depend on the load.
    /// On this 2-core VM two one-thread halves take 0.52–0.75 of the whole product's time
    /// at the workloads' shapes, as oneDNN's own two threads do (docs/performance.md),
    /// without oneDNN's thread-dependent bytes.
    static func blocks(m: Int, n: Int, k: Int) -> (count: Int, alongRows: Bool) {
        let alongRows = m >= n
        let extent = alongRows ? m : n
        let fmas = multiplyAdds(m, n, k)
        guard Parallel.cores > 1, fmas >= blockFrom else { return (1, alongRows) }
        let count = Swift.min(Parallel.cores, extent / minimumBlock, fmas / (blockFrom / 2))
        return (Swift.max(1, count), alongRows)
    }

    /// Two independent oneDNN products each of at least this many multiply-adds (about
    /// 1 µs on one core) may run as a pair (`pairs(_:_:)`).
    static let pairFrom = 1 << 18

    /// Whether two independent float32 products of `first` and `second` multiply-adds (the
    /// two of a matrix product's vector-Jacobian product, G Bᵀ and Aᵀ G) run at once, each
    /// on its own threads (`pairBlocks`), rather than one after the other, each cut into
    /// `blocks`. Yes when both go to oneDNN, the machine has more than one core, and they
    /// are of similar size (the larger at most 1.3 times the smaller): on the 2-core VM of
    /// docs/performance.md two whole products at once take 0.87–0.91 of the time of the
    /// same two cut in halves one after the other (a 128×512×512 pair: 296 µs against 334),
    /// since each is packed and called once, not twice. Past 1.3 the smaller one's
    /// thread would idle longer than the halves lose. A function of the shapes and
    /// `Parallel.cores` only, as `blocks` is.
    static func pairs(_ first: Int, _ second: Int) -> Bool {
        guard usesOneDNN, Parallel.cores > 1 else { return false }
        let small = Swift.min(first, second), large = Swift.max(first, second)
        return small >= pairFrom && Double(large) <= 1.3 * Double(small)
    }

    /// How a product that runs in a pair is cut: in half as many blocks as alone, at
    /// least one (on two cores: whole, on its own thread).
    static func pairBlocks(m: Int, n: Int, k: Int) -> (count: Int, alongRows: Bool) {
        let alone = blocks(m: m, n: n, k: k)
        return (Swift.max(1, alone.count / 2), alone.alongRows)
    }

    /// The first row (or column) of block `i` of `count` over `extent`.
    @inline(__always)
    static func blockStart(_ i: Int, of count: Int, extent: Int) -> Int {
        i == 0 ? 0 : i == count ? extent : (extent * i / count) / blockAlignment * blockAlignment
    }

    /// The library a float32 product of these sizes goes to: oneDNN (one thread) except
    /// tiny products. Not OpenBLAS for the shapes where its two threads beat oneDNN's one
    /// (W6's long-K weight gradients, 669 µs against 1073 at 32×27×32768): mixed in,
    /// OpenBLAS's idle thread spins (`sched_yield`, 27% of W6's cycles under perf) against
    /// everything else, and W6 got slower, not faster (docs/performance.md).
    static func float32Library(m: Int, n: Int, k: Int) -> Library {
        usesOneDNN && multiplyAdds(m, n, k) >= oneDNNFrom ? .onednn : .openblas
    }

    @inline(__always)
    static func multiplyAdds(_ m: Int, _ n: Int, _ k: Int) -> Int {
        let (mn, o1) = m.multipliedReportingOverflow(by: n)
        let (mnk, o2) = mn.multipliedReportingOverflow(by: k)
        return o1 || o2 ? .max : mnk
    }

    /// `C = alpha * op(A) * op(B) + beta * C` in float32 through `library` (oneDNN falls
    /// back to OpenBLAS when not loaded); the seam's choice is `float32Library(m:n:k:)`.
    static func sgemm(
        _ library: Library, transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
        alpha: Float, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        guard library == .onednn else {
            openBLAS(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
            return
        }
        let cut = blocks(m: m, n: n, k: k)
        guard cut.count > 1 else {
            oneDNN(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
            return
        }
        let (pa, pb, pc) = (UncheckedSendable(a), UncheckedSendable(b), UncheckedSendable(c))
        Parallel.forEachItem(cut.count, parallelFrom: 2) { i in
            block(i, of: cut, transA: transA, transB: transB, m: m, n: n, a: pa.value, lda: lda, b: pb.value, ldb: ldb, c: pc.value, ldc: ldc) {
                rows, cols, a, b, c in oneDNN(transA, transB, rows, cols, k, alpha, a, lda, b, ldb, beta, c, ldc)
            }
        }
    }

    /// Calls `body` with block `i` of `cut` of the product `C = op(A) op(B)` (`[m, n]`):
    /// its rows, its columns, and where its A, B and C start. A block of C's rows takes A's
    /// rows (A's columns when transposed); a block of C's columns takes B's columns (B's
    /// rows when transposed).
    @inline(__always)
    static func block<T>(
        _ i: Int, of cut: (count: Int, alongRows: Bool), transA: Bool, transB: Bool, m: Int, n: Int,
        a: UnsafePointer<T>, lda: Int, b: UnsafePointer<T>, ldb: Int, c: UnsafeMutablePointer<T>, ldc: Int,
        _ body: (Int, Int, UnsafePointer<T>, UnsafePointer<T>, UnsafeMutablePointer<T>) -> Void
    ) {
        let extent = cut.alongRows ? m : n
        let start = blockStart(i, of: cut.count, extent: extent)
        let size = blockStart(i + 1, of: cut.count, extent: extent) - start
        if cut.alongRows {
            body(size, n, a + (transA ? start : start * lda), b, c + start * ldc)
        } else {
            body(m, size, a, b + (transB ? start * ldb : start), c + start)
        }
    }

    /// One float32 product on the calling thread alone, whatever its size: oneDNN when it
    /// loaded, else OpenBLAS (whose pool then computes it; `Float.gemmRunsOnCallingThread`
    /// is false without oneDNN).
    static func sgemmOnCallingThread(
        transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
        alpha: Float, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        if usesOneDNN {
            oneDNN(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
        } else {
            openBLAS(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
        }
    }

    /// One oneDNN call on the calling thread alone (OpenBLAS if oneDNN refuses it).
    @inline(__always)
    private static func oneDNN(
        _ transA: Bool, _ transB: Bool, _ m: Int, _ n: Int, _ k: Int, _ alpha: Float,
        _ a: UnsafePointer<Float>, _ lda: Int, _ b: UnsafePointer<Float>, _ ldb: Int,
        _ beta: Float, _ c: UnsafeMutablePointer<Float>, _ ldc: Int
    ) {
        let status = cag_onednn_sgemm(
            1, transA ? 1 : 0, transB ? 1 : 0, Int64(m), Int64(n), Int64(k),
            alpha, a, Int64(lda), b, Int64(ldb), beta, c, Int64(ldc))
        if status != 0 { openBLAS(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc) }
    }

    @inline(__always)
    private static func openBLAS(
        _ transA: Bool, _ transB: Bool, _ m: Int, _ n: Int, _ k: Int, _ alpha: Float,
        _ a: UnsafePointer<Float>, _ lda: Int, _ b: UnsafePointer<Float>, _ ldb: Int,
        _ beta: Float, _ c: UnsafeMutablePointer<Float>, _ ldc: Int
    ) {
        cblas_sgemm(
            CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
            blasint(m), blasint(n), blasint(k), alpha, a, blasint(lda), b, blasint(ldb), beta, c, blasint(ldc))
    }
}

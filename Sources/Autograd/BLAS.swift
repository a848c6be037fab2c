import CAutogradGemm
import COpenBLAS

/// OpenBLAS's thread pool. Set through `ThreadBudget` rather than directly, so that
/// elementwise loops follow the same budget.
public enum BLAS {
    /// Threads each BLAS call may use.
    public static var threads: Int { Int(openblas_get_num_threads()) }

    /// Sets the threads each BLAS call may use (at least 1).
    public static func setThreads(_ n: Int) { openblas_set_num_threads(Int32(max(1, n))) }
}

/// The matrix-product seam (`Scalar.gemm`): which library computes a product, chosen per
/// precision and shape so that the rest of the engine never names one.
///
/// float64 products go to OpenBLAS. float32 products go to oneDNN's `dnnl_sgemm` when
/// `libdnnl.so.2` loads at run time (dlopen, never linked: CAutogradGemm), which on one
/// thread reaches what OpenBLAS reaches on two at the workloads' shapes, leaving the
/// other core free (docs/performance.md), except the tiny ones (`oneDNNFrom`), where
/// OpenBLAS's shorter call path wins; without oneDNN, or
/// with `AUTOGRAD_GEMM=openblas`, every product goes to OpenBLAS as before.
///
/// Determinism: both libraries' results depend on their thread count (oneDNN splits the
/// inner dimension of some shapes among threads, W6's 64×288×8192 weight gradient for
/// one, and adds the parts), so the count is a function of the shape and
/// `ThreadBudget.threads` only, never of the load: one thread below `parallelFrom`
/// multiply-adds (today every product), else `ThreadBudget.threads`, whatever share the
/// computation has.
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

    /// oneDNN products of fewer multiply-adds than this run on one thread, larger ones on
    /// `ThreadBudget.threads`. None on this 2-core machine: oneDNN's AVX-512 kernel runs at
    /// 257 GFLOP/s on one thread at 1024³ and 239 on two (the two cores do not double its
    /// FMA throughput), and a second thread only adds its wake-up (10–40 µs, OpenMP's
    /// passive wait) to W2's products (docs/performance.md). One thread also makes a
    /// oneDNN product's bytes independent of `--threads`. On a machine whose cores do
    /// scale, measure and lower this.
    static let parallelFrom = Int.max

    static let usesOneDNN = cag_sgemm_library() == Int32(CAG_ONEDNN)

    /// The library a float32 product of these sizes goes to: oneDNN (one thread) except
    /// tiny products. Not OpenBLAS for the shapes where its two threads beat oneDNN's one
    /// (W6's long-K weight gradients, 669 µs against 1073 at 32×27×32768): mixed in,
    /// OpenBLAS's idle thread spins (`sched_yield`, 27% of W6's cycles under perf) against
    /// everything else, and W6 got slower, not faster (docs/performance.md).
    static func float32Library(m: Int, n: Int, k: Int) -> Library {
        usesOneDNN && multiplyAdds(m, n, k) >= oneDNNFrom ? .onednn : .openblas
    }

    /// oneDNN's threads for a product of these sizes.
    static func oneDNNThreads(m: Int, n: Int, k: Int) -> Int {
        multiplyAdds(m, n, k) < parallelFrom ? 1 : ThreadBudget.threads
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
        if library == .onednn,
            cag_onednn_sgemm(
                Int32(oneDNNThreads(m: m, n: n, k: k)), transA ? 1 : 0, transB ? 1 : 0, Int64(m), Int64(n), Int64(k),
                alpha, a, Int64(lda), b, Int64(ldb), beta, c, Int64(ldc)) == 0
        {
            return
        }
        cblas_sgemm(
            CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
            blasint(m), blasint(n), blasint(k), alpha, a, blasint(lda), b, blasint(ldb), beta, c, blasint(ldc))
    }
}

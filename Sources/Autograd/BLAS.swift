import COpenBLAS

/// OpenBLAS's thread pool. Set through `ThreadBudget` rather than directly, so that
/// elementwise loops follow the same budget.
public enum BLAS {
    /// Threads each BLAS call may use.
    public static var threads: Int { Int(openblas_get_num_threads()) }

    /// Sets the threads each BLAS call may use (at least 1).
    public static func setThreads(_ n: Int) { openblas_set_num_threads(Int32(max(1, n))) }
}

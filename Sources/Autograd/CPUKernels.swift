import CAutogradKernels

/// The elementwise loops that run faster with wider vectors than the baseline target has,
/// compiled in C for each CPU level and chosen at run time (`Sources/CAutogradKernels`):
/// the library builds with no `-target-cpu` flag and one binary runs on any x86-64.
/// `AUTOGRAD_CPU=baseline` in the environment forces the baseline loops.
///
/// Each entry computes exactly what its Swift loop does, operation by operation, so every
/// level gives the same bits; element types other than `Float` and `Double` take the Swift
/// loop.
public enum CPUKernels {
    /// The vector level used: 0 for the target's baseline (SSE2 on x86-64), 1 for AVX2.
    public static let level: Int = Int(cak_cpu_level())

    /// The highest level this build has kernels for.
    public static var maximumLevel: Int { Int(cak_max_level()) }

    /// `y[i] = T.logistic(x[i])` for `i < n` (at `level`, by default the CPU's).
    @inline(__always)
    static func logistic<T: Scalar>(_ x: UnsafePointer<T>, _ y: UnsafeMutablePointer<T>, _ n: Int, level: Int = level) {
        if T.self == Float.self {
            cak_logistic_f32(Int32(level), rebound(x), rebound(y), n)
        } else if T.self == Double.self {
            cak_logistic_f64(Int32(level), rebound(x), rebound(y), n)
        } else {
            for i in 0..<n { y[i] = T.logistic(x[i]) }
        }
    }

    @inline(__always)
    private static func rebound<T, U>(_ p: UnsafePointer<T>) -> UnsafePointer<U> {
        UnsafeRawPointer(p).assumingMemoryBound(to: U.self)
    }

    @inline(__always)
    private static func rebound<T, U>(_ p: UnsafeMutablePointer<T>) -> UnsafeMutablePointer<U> {
        UnsafeMutableRawPointer(p).assumingMemoryBound(to: U.self)
    }
}

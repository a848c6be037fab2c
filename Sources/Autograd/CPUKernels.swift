import CAutogradKernels

/// The elementwise loops that run faster with wider vectors than the baseline target has,
/// compiled in C for each CPU level and chosen at run time (`Sources/CAutogradKernels`):
/// the library builds with no `-target-cpu` flag and one binary runs on any x86-64.
/// `AUTOGRAD_CPU=baseline` in the environment forces the baseline loops.
///
/// Each entry computes exactly what the Swift formula beside it computes, operation by
/// operation (contraction off), so every level gives the same bits; element types other
/// than `Float` and `Double` run that formula.
public enum CPUKernels {
    /// The vector level used: 0 for the target's baseline (SSE2 on x86-64), 1 for AVX2.
    public static let level: Int = Int(cak_cpu_level())

    /// The highest level this build has kernels for.
    public static var maximumLevel: Int { Int(cak_max_level()) }

    /// `y[i] = T.logistic(x[i])` for `i < n` (at `level`, by default the CPU's).
    @inline(__always)
    static func logistic<T: Scalar>(_ x: UnsafePointer<T>, _ y: UnsafeMutablePointer<T>, _ n: Int, level: Int = level) {
        if T.self == Float.self {
            cak_unary_f32(Int32(level), Int32(CAK_LOGISTIC), rebound(x), rebound(y), n)
        } else if T.self == Double.self {
            cak_unary_f64(Int32(level), Int32(CAK_LOGISTIC), rebound(x), rebound(y), n)
        } else {
            for i in 0..<n { y[i] = T.logistic(x[i]) }
        }
    }

    /// `y[i] = f(a[i], b[i])` for `i < n`, where `op` (CAK_ADD, ...) names `f`.
    @inline(__always)
    static func binary<T: Scalar>(
        _ op: Int32, _ a: UnsafePointer<T>, _ b: UnsafePointer<T>, _ y: UnsafeMutablePointer<T>, _ n: Int,
        level: Int = level, _ f: (T, T) -> T
    ) {
        if T.self == Float.self {
            cak_binary_f32(Int32(level), op, rebound(a), rebound(b), rebound(y), n)
        } else if T.self == Double.self {
            cak_binary_f64(Int32(level), op, rebound(a), rebound(b), rebound(y), n)
        } else {
            for i in 0..<n { y[i] = f(a[i], b[i]) }
        }
    }

    static var add: Int32 { Int32(CAK_ADD) }
    static var subtract: Int32 { Int32(CAK_SUB) }
    static var multiply: Int32 { Int32(CAK_MUL) }
    static var divide: Int32 { Int32(CAK_DIV) }
    /// `g * (1 - y) * y`: the sigmoid's gradient from the upstream `g` and the output `y`.
    static var sigmoidGradient: Int32 { Int32(CAK_SIGMOID_GRADIENT) }

    /// `y[i] += x[i]` for `i < n`; `x` and `y` do not overlap.
    @inline(__always)
    static func accumulate<T: Scalar>(_ x: UnsafePointer<T>, into y: UnsafeMutablePointer<T>, _ n: Int, level: Int = level) {
        if T.self == Float.self {
            cak_accumulate_f32(Int32(level), rebound(x), rebound(y), n)
        } else if T.self == Double.self {
            cak_accumulate_f64(Int32(level), rebound(x), rebound(y), n)
        } else {
            for i in 0..<n { y[i] += x[i] }
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

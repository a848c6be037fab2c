import CAutogradKernels

/// The elementwise loops that run faster with wider vectors than the baseline target has,
/// compiled in C for each CPU level and chosen at run time (`Sources/CAutogradKernels`):
/// the library builds with no `-target-cpu` flag and one binary runs on any x86-64.
/// `AUTOGRAD_CPU=baseline` (or `avx2`) in the environment caps the level.
///
/// Each entry computes exactly what the Swift formula beside it computes, operation by
/// operation (contraction off), so every level gives the same bits; element types other
/// than `Float` and `Double` run that formula.
public enum CPUKernels {
    /// The vector level used: 0 for the target's baseline (SSE2 on x86-64), 1 for AVX2, 2 for AVX-512.
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

    /// `y[i] = f(x[i])` for `i < n`, where `op` (CAK_ERF, ...) names `f` and `f` is its
    /// scalar form, for element types other than `Float` and `Double`.
    @inline(__always)
    static func unary<T: Scalar>(
        _ op: Int32, _ x: UnsafePointer<T>, _ y: UnsafeMutablePointer<T>, _ n: Int, level: Int = level,
        _ f: (T) -> T
    ) {
        if T.self == Float.self {
            cak_unary_f32(Int32(level), op, rebound(x), rebound(y), n)
        } else if T.self == Double.self {
            cak_unary_f64(Int32(level), op, rebound(x), rebound(y), n)
        } else {
            for i in 0..<n { y[i] = f(x[i]) }
        }
    }

    static var erf: Int32 { Int32(CAK_ERF) }
    static var expNonPositive: Int32 { Int32(CAK_EXP_NONPOSITIVE) }

    /// `y[i] = T.expNonPositive(x[i])` for `i < n`; `y` may be `x` (in place).
    @inline(__always)
    static func expNonPositive<T: Scalar>(_ x: UnsafePointer<T>, _ y: UnsafeMutablePointer<T>, _ n: Int, level: Int = level) {
        unary(expNonPositive, x, y, n, level: level) { T.expNonPositive($0) }
    }
    static var gelu: Int32 { Int32(CAK_GELU) }
    /// `x < 0 ? 0 : x`: relu (NaN and -0 pass through).
    static var relu: Int32 { Int32(CAK_RELU) }
    /// `y <= 0 ? 0 : g`: relu's gradient from the upstream `g` and the output `y`.
    static var reluGradient: Int32 { Int32(CAK_RELU_GRADIENT) }
    /// erf's gradient from the upstream `a` and the input `b`.
    static var erfGradient: Int32 { Int32(CAK_ERF_GRADIENT) }
    /// GELU's (exact form) gradient from the upstream `a` and the input `b`.
    static var geluGradient: Int32 { Int32(CAK_GELU_GRADIENT) }

    // The scalar forms of cak_special.h's functions, the same bits as the loops above
    // (inline C, contraction off); other element types go through `Double`.

    /// erf(x), branch-free (cak_special.h; about 1.3 ulp in either precision).
    @inline(__always)
    static func erf<T: Scalar>(_ x: T) -> T {
        scalar(x, cak_erf_f32, cak_erf_f64)
    }

    /// GELU's exact form `x (1 + erf(x/√2)) / 2` as torch's CPU kernel orders it.
    @inline(__always)
    static func gelu<T: Scalar>(_ x: T) -> T {
        scalar(x, cak_gelu_f32, cak_gelu_f64)
    }

    /// `g (Φ(x) + x φ(x))`: GELU's gradient (exact form) at `x` from the upstream `g`.
    @inline(__always)
    static func geluGradient<T: Scalar>(_ g: T, _ x: T) -> T {
        scalar(g, x, cak_gelu_gradient_f32, cak_gelu_gradient_f64)
    }

    /// `2/√π e^(-x²) g`: erf's gradient at `x` from the upstream `g`.
    @inline(__always)
    static func erfGradient<T: Scalar>(_ g: T, _ x: T) -> T {
        scalar(g, x, cak_erf_gradient_f32, cak_erf_gradient_f64)
    }

    @inline(__always)
    private static func scalar<T: Scalar>(_ x: T, _ f: (Float) -> Float, _ d: (Double) -> Double) -> T {
        if T.self == Float.self { return unsafeBitCast(f(unsafeBitCast(x, to: Float.self)), to: T.self) }
        if T.self == Double.self { return unsafeBitCast(d(unsafeBitCast(x, to: Double.self)), to: T.self) }
        return T(d(Double(x)))
    }

    @inline(__always)
    private static func scalar<T: Scalar>(
        _ a: T, _ b: T, _ f: (Float, Float) -> Float, _ d: (Double, Double) -> Double
    ) -> T {
        if T.self == Float.self {
            return unsafeBitCast(f(unsafeBitCast(a, to: Float.self), unsafeBitCast(b, to: Float.self)), to: T.self)
        }
        if T.self == Double.self {
            return unsafeBitCast(d(unsafeBitCast(a, to: Double.self), unsafeBitCast(b, to: Double.self)), to: T.self)
        }
        return T(d(Double(a), Double(b)))
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

    /// `acc[j] += x[i]` for every `i < n` (a multiple of 8) with `i % 8 == j`, in
    /// increasing `i`: `BlockSum`'s eight running sums, one vector add per eight elements.
    @inline(__always)
    static func sum8<T: Scalar>(_ x: UnsafePointer<T>, into acc: UnsafeMutablePointer<T>, _ n: Int, level: Int = level) {
        if T.self == Float.self {
            cak_sum8_f32(Int32(level), rebound(x), rebound(acc), n)
        } else if T.self == Double.self {
            cak_sum8_f64(Int32(level), rebound(x), rebound(acc), n)
        } else {
            var i = 0
            while i + 8 <= n {
                for j in 0..<8 { acc[j] += x[i + j] }
                i += 8
            }
        }
    }

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

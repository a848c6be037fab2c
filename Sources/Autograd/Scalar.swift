import COpenBLAS
import RealModule

/// The element types a tensor can hold.
public enum DType: String, Sendable, CaseIterable {
    /// 32-bit IEEE floats: `Float`.
    case float32
    /// 64-bit IEEE floats: `Double`.
    case float64
}

/// A floating-point element type the engine computes in: `Float` or `Double`.
///
/// Besides the `Real` elementary functions it names the BLAS routine for its
/// precision, so matrix products stay generic without a type switch in each op.
public protocol Scalar: BinaryFloatingPoint, Real, Sendable, CustomStringConvertible
where RawSignificand: FixedWidthInteger {
    /// The wire name of this precision.
    static var dtype: DType { get }

    /// e^x for x <= 0, branch-free so that loops over it vectorise (FastMath.swift).
    static func expNonPositive(_ x: Self) -> Self

    /// √x as `squareRoot()` computes it, but without libm's errno branch, so that loops
    /// over it vectorise (FastMath.swift).
    static func vectorisableSquareRoot(_ x: Self) -> Self

    /// `C = alpha * op(A) * op(B) + beta * C`, row-major (`cblas_?gemm`; `GEMM` says which
    /// library computes it).
    static func gemm(
        transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
        alpha: Self, a: UnsafePointer<Self>, lda: Int,
        b: UnsafePointer<Self>, ldb: Int,
        beta: Self, c: UnsafeMutablePointer<Self>, ldc: Int
    )

    /// Whether ``gemmOnCallingThread(transA:transB:m:n:k:alpha:a:lda:b:ldb:beta:c:ldc:)``
    /// computes on the calling thread alone, so that independent products (a
    /// convolution's samples) can run at once on a computation's threads: true for
    /// float32 on oneDNN (`GEMM`), false where the library keeps a thread pool of its own.
    static var gemmRunsOnCallingThread: Bool { get }

    /// `gemm` on the calling thread alone, never cut into blocks, when
    /// ``gemmRunsOnCallingThread``; else `gemm` itself.
    static func gemmOnCallingThread(
        transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
        alpha: Self, a: UnsafePointer<Self>, lda: Int,
        b: UnsafePointer<Self>, ldb: Int,
        beta: Self, c: UnsafeMutablePointer<Self>, ldc: Int
    )
}

@inline(__always)
private func cblasTrans(_ t: Bool) -> CBLAS_TRANSPOSE { t ? CblasTrans : CblasNoTrans }

/// `Float` as an engine scalar: float32 tensors, products through oneDNN's `dnnl_sgemm`
/// when it loads, else `cblas_sgemm` (`GEMM`).
extension Float: Scalar {
    public static var dtype: DType { .float32 }

    public static func gemm(
        transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
        alpha: Float, a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        GEMM.sgemm(
            GEMM.float32Library(m: m, n: n, k: k), transA: transA, transB: transB, m: m, n: n, k: k,
            alpha: alpha, a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
    }

    public static var gemmRunsOnCallingThread: Bool { GEMM.usesOneDNN }

    public static func gemmOnCallingThread(
        transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
        alpha: Float, a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        GEMM.sgemmOnCallingThread(
            transA: transA, transB: transB, m: m, n: n, k: k,
            alpha: alpha, a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
    }
}

/// `Double` as an engine scalar: float64 tensors, products through `cblas_dgemm`.
extension Double: Scalar {
    public static var dtype: DType { .float64 }

    public static func gemm(
        transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
        alpha: Double, a: UnsafePointer<Double>, lda: Int,
        b: UnsafePointer<Double>, ldb: Int,
        beta: Double, c: UnsafeMutablePointer<Double>, ldc: Int
    ) {
        cblas_dgemm(
            CblasRowMajor, cblasTrans(transA), cblasTrans(transB),
            blasint(m), blasint(n), blasint(k), alpha, a, blasint(lda), b, blasint(ldb),
            beta, c, blasint(ldc))
    }

}

/// Products whose library keeps a thread pool of its own (float64 on OpenBLAS): none runs on
/// the calling thread alone, and `gemmOnCallingThread` is `gemm`.
extension Scalar {
    public static var gemmRunsOnCallingThread: Bool { false }

    public static func gemmOnCallingThread(
        transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
        alpha: Self, a: UnsafePointer<Self>, lda: Int,
        b: UnsafePointer<Self>, ldb: Int,
        beta: Self, c: UnsafeMutablePointer<Self>, ldc: Int
    ) {
        gemm(
            transA: transA, transB: transB, m: m, n: n, k: k,
            alpha: alpha, a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
    }
}

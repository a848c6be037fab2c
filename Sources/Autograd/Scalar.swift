import COpenBLAS
import RealModule

/// The element types a tensor can hold.
public enum DType: String, Sendable, CaseIterable {
    case float32
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

    /// `C = alpha * op(A) * op(B) + beta * C`, row-major (`cblas_?gemm`).
    static func gemm(
        transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
        alpha: Self, a: UnsafePointer<Self>, lda: Int,
        b: UnsafePointer<Self>, ldb: Int,
        beta: Self, c: UnsafeMutablePointer<Self>, ldc: Int
    )
}

@inline(__always)
private func cblasTrans(_ t: Bool) -> CBLAS_TRANSPOSE { t ? CblasTrans : CblasNoTrans }

extension Float: Scalar {
    public static var dtype: DType { .float32 }

    public static func gemm(
        transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
        alpha: Float, a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        cblas_sgemm(
            CblasRowMajor, cblasTrans(transA), cblasTrans(transB),
            blasint(m), blasint(n), blasint(k), alpha, a, blasint(lda), b, blasint(ldb),
            beta, c, blasint(ldc))
    }
}

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

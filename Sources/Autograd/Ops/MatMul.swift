/// Matrix product of two 2-D arrays through BLAS.
public struct MatMul: Operator {
    public static let signature = OpSignature(
        name: "matmul", arity: .exactly(2), inputs: ["a", "b"],
        summary: "matrix product a @ b of [m, k] and [k, n] (BLAS gemm)")

    public init() {}
    public init(attributes: Attributes) {}

    public func outputShape(_ inputs: [[Int]]) throws(OpError) -> [Int] {
        let a = inputs[0], b = inputs[1]
        guard a.count == 2, b.count == 2 else {
            throw .shape("matmul needs 2-D operands, got \(Shape.describe(a)) and \(Shape.describe(b))")
        }
        guard a[1] == b[0] else {
            throw .shape("matmul: inner dimensions differ: \(Shape.describe(a)) @ \(Shape.describe(b))")
        }
        return [a[0], b[1]]
    }

    public func forward<T: Scalar>(_ x: [NDArray<T>]) -> NDArray<T> {
        gemm(x[0], x[1])
    }

    // For C = A B: dA = G Bᵀ and dB = Aᵀ G, both as gemm calls with a transposed operand.
    public func vjp<T: Scalar>(
        _ grad: NDArray<T>, inputs x: [NDArray<T>], output: NDArray<T>, needs: [Bool]
    ) -> [NDArray<T>?] {
        [
            needs[0] ? gemm(grad, x[1], transB: true) : nil,
            needs[1] ? gemm(x[0], grad, transA: true) : nil,
        ]
    }
}

/// `op(a) @ op(b)` for 2-D arrays, where `op` transposes when asked; through BLAS.
func gemm<T: Scalar>(_ a: NDArray<T>, _ b: NDArray<T>, transA: Bool = false, transB: Bool = false) -> NDArray<T> {
    let m = transA ? a.shape[1] : a.shape[0]
    let k = transA ? a.shape[0] : a.shape[1]
    let n = transB ? b.shape[0] : b.shape[1]
    var c = [T](repeating: 0, count: m * n)
    if m > 0 && n > 0 && k > 0 {
        a.data.withUnsafeBufferPointer { pa in
            b.data.withUnsafeBufferPointer { pb in
                c.withUnsafeMutableBufferPointer { pc in
                    guard let pa = pa.baseAddress, let pb = pb.baseAddress, let pc = pc.baseAddress else { return }
                    T.gemm(
                        transA: transA, transB: transB, m: m, n: n, k: k,
                        alpha: 1, a: pa, lda: a.shape[1], b: pb, ldb: b.shape[1],
                        beta: 0, c: pc, ldc: n)
                }
            }
        }
    }
    return NDArray(shape: [m, n], data: c)
}

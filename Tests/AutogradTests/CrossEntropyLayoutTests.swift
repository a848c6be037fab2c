import Autograd
import Testing

/// cross_entropy's contiguous fast path (classes last: `[N, C]`, rows split over the
/// thread budget, the log-softmax saved for the backward pass) against its strided path
/// (`[1, C, N]`, classes on axis 1 with N positions each) on the same numbers: losses and
/// logit gradients must agree bit for bit.
@Suite struct CrossEntropyLayoutTests {
    /// Logits in [-8, 8) from a fixed linear congruential sequence, and classes with every
    /// seventh sample ignored.
    static func inputs(n: Int, c: Int) -> (logits: [Double], classes: [Double]) {
        var state: UInt64 = 12_345
        func next() -> UInt64 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return state >> 33
        }
        let logits = (0..<(n * c)).map { _ in Double(next() % 4096) / 256 - 8 }
        let classes = (0..<n).map { i in i % 7 == 3 ? -100 : Double(next() % UInt64(c)) }
        return (logits, classes)
    }

    func lossAndGradient<T: Scalar>(
        _ op: CrossEntropy, _ logits: [T], _ logitShape: [Int], _ classes: [T], _ classShape: [Int]
    ) throws -> (loss: [T], grad: [T]) {
        let x = Tensor(NDArray(shape: logitShape, data: logits), requiresGrad: true)
        let y = try Tensor.apply(op, [x, Tensor(NDArray(shape: classShape, data: classes))])
        try y.backward(seed: NDArray(shape: y.shape, data: (0..<y.value.data.count).map { T($0 % 5) - 1.5 }))
        return (y.value.data, x.gradOrZeros.data)
    }

    /// The value's bits (widening to Double is exact, so equal bits mean equal values).
    static func bits<T: Scalar>(_ x: T) -> UInt64 { Double(x).bitPattern }

    func check<T: Scalar>(_: T.Type, n: Int, c: Int, smoothing: Double) throws {
        let (logits, classes) = Self.inputs(n: n, c: c)
        let op = CrossEntropy(reduction: .none, labelSmoothing: smoothing)
        let rows = try lossAndGradient(op, logits.map { T($0) }, [n, c], classes.map { T($0) }, [n])
        // The same logits with the classes on axis 1 of [1, C, N].
        let columns = (0..<(c * n)).map { i in T(logits[(i % n) * c + i / n]) }
        let strided = try lossAndGradient(op, columns, [1, c, n], classes.map { T($0) }, [1, n])
        #expect(rows.loss.map(Self.bits) == strided.loss.map(Self.bits), "loss, \(n)x\(c), ε \(smoothing)")
        let transposed = (0..<(n * c)).map { i in strided.grad[(i % c) * n + i / c] }
        #expect(rows.grad.map(Self.bits) == transposed.map(Self.bits), "gradient, \(n)x\(c), ε \(smoothing)")
        // One class: every loss and gradient is 0; otherwise the comparison is not vacuous.
        #expect(c == 1 || (rows.loss.contains { $0 != 0 } && rows.grad.contains { $0 != 0 }))
    }

    /// 300 × 300 is above the parallel threshold; 5 × 13 stays on one thread and has a
    /// row length that is not a multiple of the four-lane maximum.
    @Test(arguments: [(300, 300), (5, 13), (1, 1)])
    func contiguousRowsMatchTheStridedLayout(n: Int, c: Int) throws {
        for smoothing in [0, 0.1] {
            try check(Float.self, n: n, c: c, smoothing: smoothing)
            try check(Double.self, n: n, c: c, smoothing: smoothing)
        }
    }
}

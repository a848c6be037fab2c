@testable import Autograd
import Testing

/// Nodes recorded without arrays (`Operator.isUnaryInPlace`: the Swift API's `tensor * c`
/// and `tensor + c`): the same values and gradients as the same ops recorded through
/// `Tensor.apply`, in graphs that mix both kinds of node, with the gradient written in
/// place of the upstream one only where nobody else holds it.
@Suite struct UnaryPathTests {
    /// `f(x) = sum((x*1.7 + 0.3)^2) + sum((x*1.7 + 0.3) * -2.5)`, each constant op built by
    /// `scalarOp` (the unary path or `Tensor.apply` with an array of one input).
    static func loss(
        _ x: Tensor<Float>, mul: (Tensor<Float>, Float) throws -> Tensor<Float>,
        add: (Tensor<Float>, Float) throws -> Tensor<Float>
    ) throws -> Tensor<Float> {
        let y = try add(try mul(x, 1.7), 0.3)
        return (y * y).sum() + (try mul(y, -2.5)).sum()
    }

    @Test func theUnaryPathGivesTheArrayPathsBits() throws {
        let data = NDArray<Float>(shape: [3, 4], data: (0..<12).map { Float($0) * 0.37 - 2.1 })
        let fast = Tensor(data, requiresGrad: true)
        let lossFast = try Self.loss(fast, mul: { $0 * $1 }, add: { $0 + $1 })
        let slow = Tensor(data, requiresGrad: true)
        let lossSlow = try Self.loss(
            slow, mul: { try Tensor.apply(MulScalar($1), [$0]) }, add: { try Tensor.apply(AddScalar($1), [$0]) })
        // The Swift API really took the unary path, and `Tensor.apply` did not.
        #expect((fast * 2).unaryInput === fast)
        #expect((try Tensor.apply(MulScalar(Float(2)), [slow])).unaryInput == nil)
        try lossFast.backward()
        try lossSlow.backward()
        #expect(lossFast.value == lossSlow.value)
        let g = try #require(fast.grad)
        #expect(g == slow.grad)
        // d/dx = 1.7 * (2y - 2.5), y = 1.7x + 0.3, to float32 rounding.
        for (i, x) in data.data.enumerated() {
            let y = 1.7 * Double(x) + 0.3
            #expect(abs(Double(g.data[i]) - 1.7 * (2 * y - 2.5)) <= 1e-5 * max(1, abs(1.7 * (2 * y - 2.5))))
        }
    }

    @Test func aUnaryNodeConsumedByUnaryAndBinaryOpsSumsBothGradients() throws {
        let x = Tensor<Double>([1, -2, 3], requiresGrad: true)
        let y = x * 3            // unary path
        let a = y + 1            // unary consumer
        let b = y * y            // binary consumer
        let z = (a * 0.5).sum() + b.sum()
        try z.backward()
        // dz/dx = 3 * (0.5 + 2y) = 1.5 + 18x.
        #expect(x.grad?.data == [19.5, -34.5, 55.5])
    }

    @Test func theInPlaceGradientLeavesTheCallersSeedAndSharedGradientsAlone() throws {
        let x = Tensor<Float>([1, 2], requiresGrad: true)
        let seed = NDArray<Float>(shape: [2], data: [1, -1])
        try (x * 4).backward(seed: seed)
        #expect(seed.data == [1, -1])
        #expect(x.grad?.data == [4, -4])
        // `x + 1` hands the seed itself to x's grad; the next backward multiplies in place
        // and must not reach the stored gradient.
        let w = Tensor<Float>([5, 6], requiresGrad: true)
        try (w + 1).backward(seed: seed)
        let kept = try #require(w.grad)
        try ((w + 1) * 3).backward(seed: seed)
        #expect(kept.data == [1, -1])
        #expect(w.grad?.data == [4, -4])
        #expect(seed.data == [1, -1])
    }

    @Test func aNodeStillHeldOutsideTheChainKeepsItsGraphWhenTheChainDies() throws {
        let x = Tensor<Double>(2, requiresGrad: true)
        var y = x
        var middle = x
        for i in 0..<1000 {
            y = y * 1.5 + 1
            if i == 499 { middle = y }
        }
        y = x  // releases the last 500 steps only
        #expect(y.isLeaf && !middle.isLeaf)
        try middle.backward()
        let expected = (0..<500).reduce(1.0) { acc, _ in acc * 1.5 }  // as backward multiplies
        #expect(x.grad?.data == [expected])
    }

    @Test func nothingIsRecordedWithoutAGradientOrUnderNoGrad() {
        let plain = Tensor<Float>([1, 2])
        #expect((plain * 2 + 1).isLeaf)
        let x = Tensor<Float>([1, 2], requiresGrad: true)
        let y = noGrad { x * 2 + 1 }
        #expect(y.isLeaf && !y.requiresGrad)
        #expect(y.scalars == [3, 5])
    }

    @Test func higherDerivativesGoThroughUnaryNodes() throws {
        // f = sum((3x + 1)^3): f' = 9 (3x + 1)^2, f'' = 54 (3x + 1).
        let x = Tensor<Double>([0.5, -1], requiresGrad: true)
        let u = x * 3 + 1
        let f = (u * u * u).sum()
        let dx = try grad(of: f, wrt: [x], createGraph: true)[0]
        #expect(dx.scalars == [9 * 2.5 * 2.5, 9 * 4])
        let ddx = try grad(of: dx.sum(), wrt: [x])[0]
        #expect(ddx.scalars == [54 * 2.5, 54 * -2])
        func half(_ t: [Tensor<Double>]) -> Tensor<Double> {
            let v: Tensor<Double> = t[0] * 3 + 1
            return (v * v).sum() * 0.5
        }
        let (_, hv) = try hvp(half, at: [x.value], vectors: [NDArray<Double>(shape: [2], data: [1, 2])])
        #expect(hv[0].data == [9, 18])
    }
}

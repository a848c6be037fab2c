import Autograd
import Testing

/// The backward pass itself, through the Swift API.
@Suite struct EngineTests {
    @Test func theSeedEnginesExampleGivesItsNumbers() throws {
        let x = Tensor<Float>([[1, 2], [3, 4]])
        let W = Tensor<Float>([[0.1, 0.2], [0.3, 0.4]])
        let b = Tensor<Float>([0.5, 0.6])
        let layer = Linear(W: W, b: b)
        let loss = mseLoss(layer(x), Tensor(NDArray(repeating: 1, shape: [2, 2])))
        try loss.backward()
        expectClose(loss.value, NDArray(scalar: 1.16), rtol: 1e-6, atol: 1e-6, "loss")
        expectClose(try #require(layer.W.grad), NDArray([[1.6, 3.0], [2.2, 4.2]]), rtol: 1e-6, atol: 1e-6, "dW")
        expectClose(try #require(layer.b?.grad), NDArray([0.6, 1.2]), rtol: 1e-6, atol: 1e-6, "db")
        #expect(x.grad == nil)
        // The layer trains leaves of its own: the caller's tensors are left alone.
        #expect(!W.requiresGrad && !b.requiresGrad && W.grad == nil && b.grad == nil)
    }

    @Test func bothPrecisionsGiveTheSameGradientsToTheirPrecision() throws {
        func run<T: Scalar>(_: T.Type) throws -> [Double] {
            let x = Tensor<T>([[1, 2], [3, 4]], requiresGrad: true)
            let y = (x * x - x / Tensor<T>(2)).mean()
            try y.backward()
            return (x.grad?.data ?? []).map { Double($0) }
        }
        let f = try run(Float.self), d = try run(Double.self)
        #expect(d == [0.375, 0.875, 1.375, 1.875])
        #expect(f == d)
    }

    @Test func aTensorUsedTwiceAccumulatesBothPaths() throws {
        let x = Tensor<Double>(3, requiresGrad: true)
        let y = x * x
        try y.backward()
        #expect(x.grad?.data == [6])
        // d/dx (x·x + x) = 2x + 1, through three uses.
        let z = x * x + x
        x.zeroGrad()
        try z.backward()
        #expect(x.grad?.data == [7])
    }

    @Test func gradientsAccumulateAcrossBackwardCallsUntilZeroed() throws {
        let w = Tensor<Double>([1, 2], requiresGrad: true)
        try (w * Tensor<Double>(3)).sum().backward()
        try (w * Tensor<Double>(3)).sum().backward()
        #expect(w.grad?.data == [6, 6])
        w.zeroGrad()
        #expect(w.grad == nil)
        #expect(w.gradOrZeros == NDArray(shape: [2], data: [0, 0]))
    }

    @Test func anUnusedParameterHasNoGradientAndZerosWhenAsked() throws {
        let used = Tensor<Float>([1, 2], requiresGrad: true)
        let unused = Tensor<Float>([[5, 6, 7]], requiresGrad: true)
        try used.sum().backward()
        #expect(unused.grad == nil)
        #expect(unused.gradOrZeros == NDArray(shape: [1, 3], data: [0, 0, 0]))
    }

    @Test func aHundredThousandOpChainNeitherOverflowsTheStackNorLeaks() throws {
        let x = Tensor<Double>(1, requiresGrad: true)
        var y = x
        for _ in 0..<100_000 { y = y * 1.0001 + 0.0001 }
        try y.backward()
        let expected = (0..<100_000).reduce(1.0) { acc, _ in acc * 1.0001 }
        #expect(abs((x.grad?.data[0] ?? 0) - expected) <= 1e-9 * expected)
        // Releasing the chain is iterative too: this assignment frees 200,000 nodes.
        y = x
        #expect(y.isLeaf)
    }

    @Test func noGraphIsRecordedWhenNothingRequiresAGradient() {
        let a = Tensor<Float>([1, 2]), b = Tensor<Float>([3, 4])
        let c = a * b
        #expect(c.isLeaf)
        #expect(!c.requiresGrad)
    }

    @Test func backwardRefusesANonScalarWithoutASeedAndAWrongSeed() throws {
        let x = Tensor<Float>([1, 2], requiresGrad: true)
        let y = x * x
        #expect(throws: AutogradError.nonScalarWithoutSeed(shape: [2])) { try y.backward() }
        #expect(throws: AutogradError.seedShapeMismatch(expected: [2], got: [3])) {
            try y.backward(seed: NDArray([1, 1, 1]))
        }
        try y.backward(seed: NDArray([1, -1]))
        #expect(x.grad?.data == [2, -4])
    }

    @Test func applyReportsShapeErrorsInsteadOfTrapping() {
        let a = Tensor<Float>([1, 2, 3]), b = Tensor<Float>([1, 2])
        #expect(throws: OpError.self) { try Tensor.apply(Add(), [a, b]) }
        #expect(throws: OpError.self) { try Tensor.apply(MatMul(), [a, b]) }
        #expect(throws: OpError.self) { try Tensor.apply(Sum(axes: [3]), [a]) }
    }

    @Test func broadcastingGradientsSumBackToEveryOperandShape() throws {
        // [3,1,4] + [2,1] → [3,2,4]; each b element is used 3·4 times, each a element twice.
        let a = Tensor<Double>(NDArray(repeating: 1, shape: [3, 1, 4]), requiresGrad: true)
        let b = Tensor<Double>(NDArray(repeating: 1, shape: [2, 1]), requiresGrad: true)
        let s = Tensor<Double>(2, requiresGrad: true)
        try ((a + b) * s).sum().backward()
        #expect(a.grad == NDArray(repeating: 4, shape: [3, 1, 4]))
        #expect(b.grad == NDArray(repeating: 24, shape: [2, 1]))
        #expect(s.grad == NDArray(scalar: 48))
    }

    @Test func linearLayerInitialisationIsSeededAndBounded() {
        let a = Linear<Float>(inFeatures: 16, outFeatures: 4, seed: 7)
        let b = Linear<Float>(inFeatures: 16, outFeatures: 4, seed: 7)
        let c = Linear<Float>(inFeatures: 16, outFeatures: 4, seed: 8)
        #expect(a.W.scalars == b.W.scalars)
        #expect(a.W.scalars != c.W.scalars)
        #expect(a.W.shape == [16, 4] && a.b?.shape == [4])
        #expect(a.W.scalars.allSatisfy { abs($0) <= 0.25 })
        #expect(a.parameters.count == 2)
    }
}

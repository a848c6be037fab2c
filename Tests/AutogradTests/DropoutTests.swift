import Autograd
import Testing

/// Dropout's mask cannot come from torch's generator: its statistics, its determinism and
/// its vector-Jacobian product are checked here against the documented formula.
@Suite struct DropoutTests {
    /// The mask as documented: element i kept when the i-th `nextUnit()` of
    /// `SplitMix64(seed)` is at least p.
    func expectedMask(_ n: Int, p: Double, seed: UInt64) -> [Bool] {
        var g = SplitMix64(seed: seed)
        return (0..<n).map { _ in g.nextUnit() >= p }
    }

    @Test(arguments: [0.1, 0.5, 0.9])
    func keepsAboutOneMinusPAndScalesTheRest(_ p: Double) throws {
        let n = 100_000
        let x = Tensor(NDArray<Double>(repeating: 2, shape: [n]))
        let y = dropout(x, p: p, seed: 42)
        let kept = y.scalars.filter { $0 != 0 }
        // Binomial(n, 1 - p): 5 standard deviations.
        let sd = (Double(n) * p * (1 - p)).squareRoot()
        #expect(abs(Double(kept.count) - Double(n) * (1 - p)) < 5 * sd)
        #expect(kept.allSatisfy { $0 == 2 * (1 / (1 - p)) })
        // The mean is preserved in expectation.
        #expect(abs(y.scalars.reduce(0, +) / Double(n) - 2) < 0.05)
    }

    @Test func maskIsTheDocumentedGenerator() throws {
        let x = Tensor(NDArray<Float>(shape: [3, 7], data: (0..<21).map { Float($0) + 1 }))
        let y = dropout(x, p: 0.4, seed: 9)
        let mask = expectedMask(21, p: 0.4, seed: 9)
        let scale = Float(1 / (1 - 0.4))
        #expect(y.scalars == zip(x.scalars, mask).map { $1 ? $0 * scale : 0 })
        #expect(mask.contains(true) && mask.contains(false))
    }

    @Test func sameSeedSameMaskOtherSeedOtherMask() throws {
        let x = Tensor(NDArray<Double>(repeating: 1, shape: [64]))
        #expect(dropout(x, p: 0.5, seed: 3).scalars == dropout(x, p: 0.5, seed: 3).scalars)
        #expect(dropout(x, p: 0.5, seed: 3).scalars != dropout(x, p: 0.5, seed: 4).scalars)
    }

    @Test func gradientIsTheUpstreamThroughTheMask() throws {
        let x = Tensor(NDArray<Double>(shape: [10], data: (0..<10).map { Double($0) - 4.5 }), requiresGrad: true)
        let y = dropout(x, p: 0.3, seed: 5)
        let seed = NDArray<Double>(shape: [10], data: (0..<10).map { 0.25 * Double($0) + 1 })
        try y.backward(seed: seed)
        let mask = expectedMask(10, p: 0.3, seed: 5)
        #expect(x.grad?.data == zip(seed.data, mask).map { $1 ? $0 * (1 / 0.7) : 0 })
    }

    @Test func pZeroIsTheIdentityAndPOneIsZeroWithZeroGradient() throws {
        let x = Tensor(NDArray<Double>(shape: [4], data: [1, -2, 3, 0.5]), requiresGrad: true)
        #expect(dropout(x, p: 0, seed: 1).scalars == x.scalars)
        let y = dropout(x, p: 1, seed: 1)
        #expect(y.scalars == [0, 0, 0, 0])
        try y.backward(seed: NDArray(shape: [4], data: [1, 1, 1, 1]))
        #expect(x.grad?.data == [0, 0, 0, 0])
    }

    @Test func moduleDrawsFreshMasksInTrainingAndIsTheIdentityInEvaluation() throws {
        let layer = Dropout<Double>(p: 0.5, seed: 1)
        let x = Tensor(NDArray<Double>(repeating: 1, shape: [64]))
        let a = layer(x).scalars, b = layer(x).scalars
        #expect(a != b)
        #expect(Dropout<Double>(p: 0.5, seed: 1)(x).scalars == a)
        layer.isTraining = false
        #expect(layer(x).scalars == x.scalars)
    }
}

import Autograd
import Testing

/// End to end: a two-layer MLP built from the library's modules, trained with Adam and
/// cross-entropy, learns a data set no linear model can separate.
@Suite struct MLPTrainingTests {
    /// Two interleaved spirals of one full turn each, 100 points per class, jittered:
    /// `[200, 2]` points and their class indices (0 or 1, stored as floats).
    static func spirals(seed: UInt64 = 7) -> (points: Tensor<Float>, classes: Tensor<Float>) {
        var g = SplitMix64(seed: seed)
        var points: [Float] = [], classes: [Float] = []
        for k in 0..<2 {
            for i in 0..<100 {
                let t = Float(i) / 100
                let r = 0.1 + 0.9 * t
                let theta = t * 2 * .pi + Float(k) * .pi
                points.append(r * Float.cos(theta) + Float.random(in: -0.03...0.03, using: &g))
                points.append(r * Float.sin(theta) + Float.random(in: -0.03...0.03, using: &g))
                classes.append(Float(k))
            }
        }
        return (Tensor(shape: [200, 2], scalars: points), Tensor(classes))
    }

    /// Trains `Linear(2, 32) → tanh → Linear(32, 2)` full-batch for `steps` Adam steps;
    /// returns the final loss and the training accuracy.
    static func train(steps: Int = 300) throws -> (loss: Float, accuracy: Double) {
        let (x, y) = spirals()
        var g = SplitMix64(seed: 2024)
        let model = Sequential<Float>(
            Linear(inFeatures: 2, outFeatures: 32, generator: &g), Tanh(),
            Linear(inFeatures: 32, outFeatures: 2, generator: &g))
        let optimizer = Adam(model.parameters, lr: 0.02)
        var loss: Float = .nan
        for _ in 0..<steps {
            optimizer.zeroGrad()
            let l = crossEntropy(model(x), y)
            try l.backward()
            optimizer.step()
            loss = l.scalars[0]
        }
        let logits = model(x).scalars
        let correct = (0..<200).filter { i in
            Float(logits[2 * i + 1] > logits[2 * i] ? 1 : 0) == y.scalars[i]
        }.count
        return (loss, Double(correct) / 200)
    }

    @Test func learnsTwoSpiralsDeterministically() throws {
        let first = try Self.train()
        #expect(first.accuracy >= 0.95, "training accuracy \(first.accuracy), loss \(first.loss)")
        let second = try Self.train()
        #expect(first.loss.bitPattern == second.loss.bitPattern, "\(first.loss) vs \(second.loss)")
    }

    @Test func sequentialChainsLayersAndParameters() {
        let a = Linear<Double>(inFeatures: 3, outFeatures: 4, seed: 1)
        let b = Linear<Double>(inFeatures: 4, outFeatures: 2, bias: false, seed: 2)
        let model = Sequential<Double>(a, ReLU(), b)
        #expect(model.parameters.map(ObjectIdentifier.init) == [a.W, a.b!, b.W].map(ObjectIdentifier.init))
        let x = Tensor<Double>([[1, -2, 0.5]])
        #expect(model(x).scalars == b(relu(a(x))).scalars)
    }
}

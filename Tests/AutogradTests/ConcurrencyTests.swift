import Autograd
import Testing

/// The concurrency rule of the ErrorsAndConcurrency article: a model lives in one task,
/// values cross as `NDArray`; two models trained at once give the bits they give alone.
@Suite struct ConcurrencyTests {
    /// Trains a small MLP (its own seed) on `x`, `y` for 30 Adam steps; returns its
    /// parameters and losses. Everything that is not Sendable stays inside.
    static func train(seed: UInt64, x: NDArray<Float>, y: NDArray<Float>) throws -> [NDArray<Float>] {
        let model = Sequential<Float>(
            Linear(inFeatures: 2, outFeatures: 16, seed: seed), ReLU(), Linear(inFeatures: 16, outFeatures: 1, seed: seed + 1))
        let optimizer = Adam(model.parameters, lr: 0.01)
        var losses: [Float] = []
        for _ in 0..<30 {
            optimizer.zeroGrad()
            let loss = mseLoss(model(Tensor(x)), Tensor(y))
            try loss.backward()
            optimizer.step()
            losses.append(loss.value.data[0])
        }
        return model.parameters.map(\.value) + [NDArray(shape: [losses.count], data: losses)]
    }

    @Test func twoModelsTrainedInATaskGroupMatchSequentialTrainingBitForBit() async throws {
        let x = NDArray<Float>(shape: [64, 2], data: (0..<128).map { Float(($0 * 37) % 23) / 11 - 1 })
        let y = NDArray<Float>(shape: [64, 1], data: (0..<64).map { Float(($0 * 13) % 7) / 3 - 1 })
        let seeds: [UInt64] = [3, 11]
        let sequential = try seeds.map { try Self.train(seed: $0, x: x, y: y) }

        let concurrent = try await withThrowingTaskGroup(of: (Int, [NDArray<Float>]).self) { group in
            for (i, seed) in seeds.enumerated() {
                group.addTask { (i, try Self.train(seed: seed, x: x, y: y)) }
            }
            var results = [[NDArray<Float>]](repeating: [], count: seeds.count)
            for try await (i, r) in group { results[i] = r }
            return results
        }

        func bits(_ runs: [[NDArray<Float>]]) -> [[[UInt32]]] { runs.map { $0.map { $0.data.map(\.bitPattern) } } }
        #expect(bits(concurrent) == bits(sequential))
        // Training did something, and the two models differ, so the comparison is not vacuous.
        let losses = try #require(sequential[0].last).data
        #expect(losses.last! < losses.first! * 0.9, "\(losses)")
        #expect(bits([sequential[0]]) != bits([sequential[1]]))
    }
}

import Autograd
import Testing

/// The Swift API of issue 10's indexing ops, losses and modules, on small cases whose
/// answers are worked out by hand (the fixtures compare the ops with torch).
@Suite struct IndexAPITests {
    @Test func shapeOps() throws {
        let x = Tensor<Double>([[1, 2, 3], [4, 5, 6]])
        #expect(x.unsqueezed(axis: 1).shape == [2, 1, 3])
        #expect(x.unsqueezed(axis: -1).squeezed().shape == [2, 3])
        #expect(x.unsqueezed(axis: 0).squeezed(axes: [0, 1]).shape == [2, 3])  // axis 1 (length 2) is kept
        #expect(x.flipped(axes: [1]).scalars == [3, 2, 1, 6, 5, 4])
        #expect(x.flipped().scalars == [6, 5, 4, 3, 2, 1])
        #expect(x.padded([(before: 0, after: 1), (before: -1, after: 0)], value: 9).scalars == [2, 3, 5, 6, 9, 9])
        #expect(stack([x, x], axis: -1).shape == [2, 3, 2])
        #expect(stack([x, x], axis: 1).scalars == [1, 2, 3, 1, 2, 3, 4, 5, 6, 4, 5, 6])
        #expect(Tensor<Double>([1, 2, 3]).broadcast(to: [2, 3]).scalars == [1, 2, 3, 1, 2, 3])
    }

    @Test func broadcastToSumsTheGradientBack() throws {
        let b = Tensor<Double>([1, 2, 3], requiresGrad: true)
        try b.broadcast(to: [4, 3]).backward(seed: NDArray(repeating: 0.5, shape: [4, 3]))
        #expect(b.grad?.data == [2, 2, 2])
    }

    @Test func takeGatherAndEmbeddingScatterTheirGradients() throws {
        let x = Tensor<Double>([[1, 2, 3], [4, 5, 6]], requiresGrad: true)
        let t = x.take(Tensor<Double>([2, -1, 0]), axis: 1)
        #expect(t.shape == [2, 3])
        #expect(t.scalars == [3, 3, 1, 6, 6, 4])
        try t.backward(seed: NDArray(repeating: 1, shape: [2, 3]))
        #expect(x.grad?.data == [1, 0, 2, 1, 0, 2])

        let y = Tensor<Double>([[1, 2, 3], [4, 5, 6]], requiresGrad: true)
        let g = y.gather(axis: 1, Tensor<Double>([[0, 0], [2, 1]]))
        #expect(g.scalars == [1, 1, 6, 5])
        try g.backward(seed: NDArray(repeating: 1, shape: [2, 2]))
        #expect(y.grad?.data == [2, 0, 0, 0, 1, 1])

        let table = Embedding<Double>(weight: Tensor([[0, 1], [2, 3], [4, 5]]))
        let e = table(Tensor<Double>([[2, 0, 2]]))
        #expect(e.shape == [1, 3, 2])
        #expect(e.scalars == [4, 5, 0, 1, 4, 5])
        try e.backward(seed: NDArray(shape: [1, 3, 2], data: [1, 2, 3, 4, 5, 6]))
        #expect(table.weight.grad?.data == [3, 4, 0, 0, 6, 8])
        #expect(Embedding<Float>(count: 10, dimension: 4, seed: 1).weight.shape == [10, 4])
    }

    @Test func classLossesWithWeightsAndIgnoredSamples() throws {
        // log-probabilities chosen directly: nll picks -input[k]·w_k.
        let logp = Tensor<Double>([[-1, -2, -3], [-0.5, -1.5, -2.5], [-4, -5, -6]])
        let target = Tensor<Double>([2, -100, 1])
        let w = Tensor<Double>([1, 2, 4])
        // (3·4 + 5·2) / (4 + 2)
        #expect(nllLoss(logp, target, weight: w).scalars == [22.0 / 6])
        #expect(nllLoss(logp, target, weight: w, reduction: .none).scalars == [12, 0, 10])
        #expect(nllLoss(logp, Tensor<Double>([0, 1, 1]), ignoreIndex: 1).scalars == [1])
        // cross_entropy on uniform logits is log C per sample, whatever the weights.
        let uniform = Tensor<Double>(NDArray(repeating: 0, shape: [2, 4, 3]))
        let ce = crossEntropy(uniform, Tensor<Double>([[0, 1, 3], [2, -100, 0]]), weight: Tensor([1, 2, 3, 4]))
        #expect((ce.scalars[0] - Double.log(4)).magnitude < 1e-15)
    }

    @Test func regressionLosses() throws {
        let a = Tensor<Double>([0, 0.5, 3]), b = Tensor<Double>([0, 0, 0])
        #expect(l1Loss(a, b, reduction: .sum).scalars == [3.5])
        #expect(smoothL1Loss(a, b, reduction: .none).scalars == [0, 0.125, 2.5])
        #expect(smoothL1Loss(a, b, reduction: .none, beta: 0).scalars == [0, 0.5, 3])
        #expect(huberLoss(a, b, reduction: .none, delta: 2).scalars == [0, 0.125, 4])
        let p = Tensor<Double>([0.25, 0.75])
        let logq = Tensor<Double>([Double.log(0.5), Double.log(0.5)])
        let kl = klDiv(logq, p, reduction: .sum).scalars[0]
        #expect((kl - (0.25 * Double.log(0.5) + 0.75 * Double.log(1.5))).magnitude < 1e-15)
        #expect(klDiv(logq, p, reduction: .batchmean).scalars[0] == kl / 2)
    }
}

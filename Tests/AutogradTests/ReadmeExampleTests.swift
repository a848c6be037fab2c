import Autograd
import Testing

/// The Swift examples of the README and docs/swift-library.md, verbatim, so they cannot drift from the library.
@Suite struct ReadmeExampleTests {
    @Test func theLinearExample() throws {
        let x = Tensor<Float>([[1, 2], [3, 4]])
        let layer = Linear(W: Tensor<Float>([[0.1, 0.2], [0.3, 0.4]]), b: Tensor<Float>([0.5, 0.6]))
        let loss = mseLoss(layer(x), Tensor(NDArray(repeating: 1, shape: [2, 2])))
        try loss.backward()
        #expect(loss.value.description == "1.1600002")
        #expect(layer.W.grad?.description == "[[1.6, 3.0000002], [2.2, 4.2000003]]")
        #expect(layer.b?.grad?.description == "[0.6, 1.2]")
    }

    @Test func theTrainingLoop() throws {
        // XOR: four points no line separates.
        let x = Tensor<Float>([[1, 1], [-1, -1], [1, -1], [-1, 1]])
        let labels = Tensor<Float>([0, 0, 1, 1])
        let model = Sequential<Float>(Linear(inFeatures: 2, outFeatures: 16, seed: 1), ReLU(),
                                      Linear(inFeatures: 16, outFeatures: 2, seed: 2))
        let optimizer = Adam(model.parameters, lr: 0.05)
        var first: Float = 0, last: Float = 0
        for step in 0..<200 {
            optimizer.zeroGrad()
            let loss = crossEntropy(model(x), labels)
            try loss.backward()
            optimizer.step()
            if step == 0 { first = loss.scalars[0] }
            last = loss.scalars[0]
        }
        #expect(last < first / 100)
        let predictions = model(x).argmaxRows()
        #expect(predictions == [0, 0, 1, 1])
    }
}

extension Tensor {
    /// The index of the largest value in each row of a 2-D tensor.
    fileprivate func argmaxRows() -> [Int] {
        let cols = shape[1]
        return (0..<shape[0]).map { r in
            let row = scalars[(r * cols)..<((r + 1) * cols)]
            return row.indices.max { row[$0] < row[$1] }.map { $0 - r * cols } ?? 0
        }
    }
}

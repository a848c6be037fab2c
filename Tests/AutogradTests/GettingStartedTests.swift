import Autograd
import Testing

/// The examples of the DocC article Autograd.docc/GettingStarted.md and of `Tensor`'s doc
/// comment, so the first code a reader of the library documentation sees is true.
@Suite struct GettingStartedTests {
    @Test func tensors() {
        let x = Tensor<Double>([[1, 2, 3], [4, 5, 6]], requiresGrad: true)
        #expect(x.shape == [2, 3])
        #expect(x.scalars == [1, 2, 3, 4, 5, 6])
        #expect(x.value.description == "[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]")
    }

    @Test func anOp() throws {
        let x = Tensor<Double>([1, 2, 3], requiresGrad: true)
        let y = (x * x).sum()
        try y.backward()
        #expect(y.value.description == "14.0")
        #expect(x.grad?.description == "[2.0, 4.0, 6.0]")
    }

    @Test func aModule() throws {
        let layer = Linear<Double>(inFeatures: 3, outFeatures: 2, seed: 7)
        let out = layer(Tensor<Double>([[1, 2, 3]]))
        #expect(out.shape == [1, 2])
        #expect(layer.parameters.map(\.shape) == [[3, 2], [2]])
    }

    @Test func aGradientCheck() throws {
        // f(x) = sum(tanh(x) * x): backward against central differences, in Double.
        func f(_ values: [Double]) -> Tensor<Double> {
            let x = Tensor<Double>(values, requiresGrad: true)
            return (tanh(x) * x).sum()
        }
        let point: [Double] = [-1.5, 0.25, 2]
        let x = Tensor<Double>(point, requiresGrad: true)
        let loss = (tanh(x) * x).sum()
        try loss.backward()
        let eps = 1e-6
        for i in point.indices {
            var up = point, down = point
            up[i] += eps
            down[i] -= eps
            let numeric = (f(up).scalars[0] - f(down).scalars[0]) / (2 * eps)
            #expect(Swift.abs(numeric - x.grad!.data[i]) < 1e-8)
        }
    }

    @Test func tensorsDocComment() throws {
        let x = Tensor<Float>([[1, 2], [3, 4]])
        let W = Tensor<Float>([[0.1, 0.2], [0.3, 0.4]], requiresGrad: true)
        let loss = mseLoss(x.matmul(W), Tensor(NDArray(repeating: 1, shape: [2, 2])))
        try loss.backward()
        #expect(W.grad?.description == "[[0.6, 1.8000001], [0.70000005, 2.4]]")
    }
}

import Autograd
import Testing

/// conv2d and max_pool2d keep values from the forward pass for the backward pass (the
/// column matrix, the argmaxes); without them (`saved: []`) the backward pass computes
/// them again, and the gradients are the same bits.
@Suite struct ConvolutionSavedTests {
    func check(_ op: any Operator, _ shapes: [[Int]]) throws {
        let inputs = shapes.enumerated().map { randomArray($1, seed: UInt64(40 + $0)) }
        let needs = inputs.map { _ in true }
        let (y, saved) = op.forward(inputs, saving: needs)
        #expect(!saved.isEmpty)
        #expect(y == op.forward(inputs))
        let g = randomArray(y.shape, seed: 9)
        let withSaved = op.vjp(g, inputs: inputs, output: y, saved: saved, needs: needs)
        let without = op.vjp(g, inputs: inputs, output: y, saved: [], needs: needs)
        #expect(withSaved == without)
        #expect(withSaved.allSatisfy { $0 != nil })
    }

    @Test func conv2dKeepsItsColumns() throws {
        try check(try Conv2dOp(stride: [2, 1], padding: .explicit([1]), dilation: [1, 2], groups: 2), [[2, 4, 6, 7], [6, 2, 3, 2], [6]])
    }

    @Test func maxPool2dKeepsItsArgmaxes() throws {
        try check(try MaxPool2dOp(kernelSize: [3], stride: [2], padding: [1], ceilMode: true), [[2, 3, 7, 6]])
    }
}

/// A batch of zero samples, which torch accepts for convolution and pooling: empty
/// outputs, zero weight and bias gradients.
@Suite struct ConvolutionZeroBatchTests {
    @Test func conv2dAndPoolingOfAnEmptyBatch() throws {
        let x = Tensor(NDArray<Double>(repeating: 0, shape: [0, 2, 4, 4]), requiresGrad: true)
        let w = Tensor(randomArray([3, 2, 2, 2], seed: 3), requiresGrad: true)
        let b = Tensor(randomArray([3], seed: 4), requiresGrad: true)
        let y = try Tensor.apply(try Conv2dOp(padding: .explicit([1])), [x, w, b])
        #expect(y.shape == [0, 3, 5, 5])
        let p = try Tensor.apply(try MaxPool2dOp(kernelSize: [2]), [y])
        let q = try Tensor.apply(try AvgPool2dOp(kernelSize: [2], ceilMode: true), [y])
        #expect(p.shape == [0, 3, 2, 2])
        #expect(q.shape == [0, 3, 3, 3])
        try (p.sum() + q.sum()).backward()
        #expect(x.gradOrZeros.shape == [0, 2, 4, 4])
        #expect(w.gradOrZeros == NDArray(repeating: 0, shape: [3, 2, 2, 2]))
        #expect(b.gradOrZeros == NDArray(repeating: 0, shape: [3]))
    }
}

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

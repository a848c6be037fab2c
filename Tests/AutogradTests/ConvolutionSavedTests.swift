import Autograd
import Testing

/// max_pool2d keeps its argmaxes from the forward pass for the backward pass; without
/// them (`saved: []`) the backward pass finds them again, and the gradients are the same
/// bits. (conv2d keeps nothing: its backward pass unfolds each sample again, in cache.)
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

    @Test func maxPool2dKeepsItsArgmaxes() throws {
        try check(try MaxPool2dOp(kernelSize: [3], stride: [2], padding: [1], ceilMode: true), [[2, 3, 7, 6]])
    }

    /// Float 2x2 pooling runs eight windows at a time: its values, argmaxes and gradient
    /// match a plain loop's first-maximum rule, ties and NaNs included, across whole
    /// vectors and the leftover columns (an odd width leaves one input column unread).
    @Test func float2x2PoolingMatchesTheScalarRule() throws {
        let (planes, h, w) = (6, 6, 37)
        var data = randomArray([planes * h * w], in: -2...2, seed: 77).data.map { Float($0) }
        for i in stride(from: 0, to: data.count, by: 7) { data[i] = 0.5 }  // ties
        for i in stride(from: 3, to: data.count, by: 29) { data[i] = .nan }
        let x = NDArray(shape: [2, 3, h, w], data: data)
        let op = try MaxPool2dOp(kernelSize: [2])
        let (y, saved) = op.forward([x], saving: [true])
        let (oh, ow) = (h / 2, w / 2)
        #expect(y.shape == [2, 3, oh, ow])
        var expected = [Float](), argmax = [Int]()
        for p in 0..<planes {
            for r in 0..<oh {
                for c in 0..<ow {
                    var best = p * h * w + 2 * r * w + 2 * c
                    for k in [best + 1, best + w, best + w + 1] where data[k] > data[best] || data[k].isNaN { best = k }
                    expected.append(data[best])
                    argmax.append(best)
                }
            }
        }
        #expect(y.data.map(\.bitPattern) == expected.map(\.bitPattern))
        let g = NDArray(shape: y.shape, data: (0..<y.count).map { Float($0 % 13) - 6 })
        var dx = [Float](repeating: 0, count: data.count)
        for (o, k) in argmax.enumerated() { dx[k] += g.data[o] }
        let withSaved = op.vjp(g, inputs: [x], output: y, saved: saved, needs: [true])
        let without = op.vjp(g, inputs: [x], output: y, saved: [], needs: [true])
        #expect(withSaved[0]?.data == dx)
        #expect(without[0]?.data == dx)
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

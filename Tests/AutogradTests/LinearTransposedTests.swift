import Autograd
import Testing

/// `linear_transposed` (`LinearTransposedOp`, x Wᵀ + b with W [out, in]: the ONNX
/// importer's nn.Linear): its values against `linear` of the transposed weight, its
/// gradients against the transposed ones and central differences, and its second
/// derivatives by gradgradcheck (float64), with and without a bias, of each shape.
@Suite struct LinearTransposedTests {
    let swap = Transpose(perm: [1, 0])

    /// `[x, W (out, in), b?]` and the same inputs with W transposed, for `linear`.
    func inputs(x xShape: [Int], out: Int, bias: [Int]?) -> (transposed: [NDArray<Double>], plain: [NDArray<Double>]) {
        let inF = xShape[xShape.count - 1]
        let x = randomArray(xShape, seed: 21), w = randomArray([out, inF], seed: 22)
        var t = [x, w], p = [x, swap.forward([w])]
        if let bias {
            let b = randomArray(bias, seed: 23)
            t.append(b)
            p.append(b)
        }
        return (t, p)
    }

    static let shapes: [(x: [Int], out: Int, bias: [Int]?)] = [
        ([4, 3], 5, [5]), ([4, 3], 5, nil), ([2, 3, 4], 2, [2]), ([3], 4, [4]), ([4, 3], 5, [4, 1]), ([4, 3], 1, [1]),
    ]

    @Test(arguments: 0..<shapes.count)
    func equalsLinearOfTheTransposedWeight(_ i: Int) throws {
        let (xShape, out, bias) = Self.shapes[i]
        let (t, p) = inputs(x: xShape, out: out, bias: bias)
        let y = LinearTransposedOp().forward(t), expected = LinearOp().forward(p)
        #expect(try LinearTransposedOp().outputShape(t.map(\.shape)) == expected.shape)
        #expect(y.shape == expected.shape)
        for (a, b) in zip(y.data, expected.data) { #expect(abs(a - b) <= 1e-12) }
        // The gradients: dx and db as linear's, dW as linear's transposed ([out, in]).
        let grad = randomArray(expected.shape, seed: 24)
        let needs = t.map { _ in true }
        let gt = LinearTransposedOp().vjp(grad, inputs: t, output: y, needs: needs)
        let gp = LinearOp().vjp(grad, inputs: p, output: expected, needs: needs)
        let pairs: [(NDArray<Double>?, NDArray<Double>?)] = [
            (gt[0], gp[0]), (gt[1], gp[1].map { swap.forward([$0]) }), (t.count == 3 ? gt[2] : nil, t.count == 3 ? gp[2] : nil),
        ]
        for (a, b) in pairs {
            #expect(a?.shape == b?.shape)
            for (u, v) in zip(a?.data ?? [], b?.data ?? []) { #expect(abs(u - v) <= 1e-12) }
        }
        #expect(gt[1]?.shape == [out, xShape[xShape.count - 1]])
    }

    @Test(arguments: 0..<shapes.count)
    func gradientsAndSecondDerivativesPassTheChecks(_ i: Int) throws {
        let (xShape, out, bias) = Self.shapes[i]
        let (t, _) = inputs(x: xShape, out: out, bias: bias)
        try gradcheck(LinearTransposedOp(), t)
        let result = try gradgradcheck({ try Tensor.apply(LinearTransposedOp(), $0) }, inputs: t)
        // Every input's elements and the upstream gradient's were checked.
        let outCount = Shape.count(try LinearTransposedOp().outputShape(t.map(\.shape))) ?? 0
        #expect(result.checkedElements == t.map(\.count).reduce(0, +) + outCount)
    }

    @Test func recordedGradientsAreTheFirstOrderBytes() throws {
        // The create-graph formulas run the same gemm calls as the first-order kernels.
        let (t, _) = inputs(x: [4, 3], out: 5, bias: [5])
        let leaves = t.map { Tensor($0, requiresGrad: true) }
        let y = try Tensor.apply(LinearTransposedOp(), leaves)
        let seed = randomArray([4, 5], seed: 25)
        let recorded = try grad(of: y, wrt: leaves, seed: Tensor(seed), createGraph: true)
        try y.backward(seed: seed)
        for (r, leaf) in zip(recorded, leaves) { #expect(r.value.data == leaf.grad?.data) }
    }

    @Test func refusesMismatchedShapes() {
        #expect(throws: OpError.self) { try LinearTransposedOp().outputShape([[4, 3], [5, 4]]) }
        #expect(throws: OpError.self) { try LinearTransposedOp().outputShape([[4, 3], [3]]) }
        #expect(throws: OpError.self) { try LinearTransposedOp().outputShape([[4, 3], [5, 3], [4]]) }
        #expect(throws: OpError.self) { try LinearTransposedOp().outputShape([[], [5, 3]]) }
    }
}

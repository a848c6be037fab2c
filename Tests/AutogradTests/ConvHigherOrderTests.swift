import Autograd
import Testing

/// Higher derivatives of the convolution and pooling ops beyond the op table's per-op
/// `gradgradcheck`: compositions, third order (which differentiates the backward-pass
/// helper ops' own vector-Jacobian products), and the Hessian-vector product of a
/// convolution's squared norm against its closed form.
@Suite struct ConvHigherOrderTests {
    /// Σ maxpool(conv2d(x, w, b)²): a convolution, a nonlinearity and max pooling.
    static func convSquareMaxPool(_ l: [Tensor<Double>]) throws -> Tensor<Double> {
        let conv = try Conv2dOp(stride: [1], padding: .explicit([1]), groups: 1)
        let y = try Tensor.apply(conv, [l[0], l[1], l[2]])
        let square = try Tensor.apply(Mul(), [y, y])
        let pooled = try Tensor.apply(try MaxPool2dOp(kernelSize: [2], stride: [2], padding: [1], ceilMode: true), [square])
        return try Tensor.apply(Sum(), [pooled])
    }

    @Test func gradgradOfConv2dSquareMaxPool() throws {
        let inputs = [randomArray([2, 2, 5, 6], seed: 1), randomArray([3, 2, 3, 3], seed: 2), randomArray([3], seed: 3)]
        try gradgradcheck(Self.convSquareMaxPool, inputs: inputs)
    }

    @Test func gradgradOfConvTransposeSquareAvgPools() throws {
        // conv_transpose2d (groups, stride), square, avg_pool2d, adaptive_avg_pool2d, conv1d.
        func f(_ l: [Tensor<Double>]) throws -> Tensor<Double> {
            let t = try Tensor.apply(try ConvTranspose2dOp(stride: [2], padding: [1], outputPadding: [1], groups: 2), [l[0], l[1]])
            let s = try Tensor.apply(Mul(), [t, t])
            let a = try Tensor.apply(try AvgPool2dOp(kernelSize: [3], stride: [2], padding: [1], countIncludePad: false), [s])
            let p = try Tensor.apply(try AdaptiveAvgPool2dOp(outputSize: [2, 3]), [a])
            let r = try Tensor.apply(Reshape(shape: [1, 4, 6]), [p])
            let c = try Tensor.apply(try Conv1dOp(stride: [2], padding: .explicit([1])), [r, l[2]])
            return try Tensor.apply(Sum(), [try Tensor.apply(Mul(), [c, c])])
        }
        let inputs = [randomArray([1, 4, 3, 3], seed: 4), randomArray([4, 2, 3, 3], seed: 5), randomArray([2, 4, 3], seed: 6)]
        try gradgradcheck(f, inputs: inputs)
    }

    /// Third derivatives through the helper ops: ⟨vᵀJ(x), w⟩, a function of x and v,
    /// checked by `gradgradcheck`.
    @Test(arguments: [
        ("conv2d", [[2, 4, 5, 5], [6, 2, 3, 3], [6]], ["groups": AttributeValue.int(2), "padding": .int(1), "stride": .int(2)]),
        ("conv1d", [[1, 4, 9], [4, 2, 3]], ["dilation": .int(2), "groups": .int(2)]),
        ("conv_transpose2d", [[1, 2, 3, 4], [2, 2, 3, 3], [2]], ["stride": .int(2), "padding": .int(1), "output_padding": .int(1)]),
        ("max_pool2d", [[1, 2, 6, 7]], ["kernel_size": .int(3), "stride": .int(2), "padding": .int(1)]),
        ("avg_pool2d", [[1, 2, 6, 7]], ["kernel_size": .int(3), "stride": .int(2), "padding": .int(1), "ceil_mode": .bool(true)]),
        ("adaptive_avg_pool2d", [[1, 2, 5, 7]], ["output_size": .ints([3, 4])]),
    ] as [(String, [[Int]], [String: AttributeValue])])
    func thirdDerivatives(_ name: String, _ shapes: [[Int]], _ attrs: [String: AttributeValue]) throws {
        let op = try makeOp(name, attrs)
        let xs = shapes.enumerated().map { randomArray($1, seed: UInt64(30 + $0)) }
        let y0 = try Tensor.apply(op, xs.map { Tensor($0) })
        let n = xs.count
        // The seed v is an input too, so that every helper's gradient with respect to
        // each of its operands is exercised (a constant seed would skip half of them).
        let inputs = xs + [randomArray(y0.shape, seed: 17)]
        let w = xs.map { randomArray($0.shape, seed: 23) }
        func projected(_ leaves: [Tensor<Double>]) throws -> Tensor<Double> {
            for l in leaves { l.requiresGrad = true }
            let y = try Tensor.apply(op, Array(leaves[0..<n]))
            let gs = try grad(of: y, wrt: Array(leaves[0..<n]), seed: leaves[n], createGraph: true)
            var total = Tensor(NDArray<Double>(scalar: 0))
            for (g, wk) in zip(gs, w) {
                total = try Tensor.apply(Add(), [total, try Tensor.apply(Sum(), [try Tensor.apply(Mul(), [g, Tensor(wk)])])])
            }
            return total
        }
        try gradgradcheck(projected, inputs: inputs)
        // gradgradcheck differentiates the recorded gradient as it is; that its values are
        // right is checked here: the helpers' recorded VJPs against their first-order ones.
        let leaves = inputs.map { Tensor($0) }
        try projected(leaves).backward()
        let again = inputs.map { Tensor($0) }
        let recorded = try grad(of: try projected(again), wrt: again)
        for (k, (l, r)) in zip(leaves, recorded).enumerated() {
            expectClose(r.value, l.gradOrZeros, rtol: 1e-12, atol: 1e-12, "\(name) input \(k)")
        }
    }

    /// The create-graph pass gives the first-order pass's gradient values, for every
    /// convolution and pooling row of the op table (gradgradcheck alone cannot see a wrong
    /// value: it differentiates whatever the recorded gradient is).
    /// Rows the op table lacks: unbatched inputs with a bias (whose gradient sums over
    /// every axis but the first).
    static let unbatchedWithBias = [
        OpCase("conv1d", [[3, 8], [2, 3, 3], [2]], attrs: ["stride": .int(2), "padding": .int(1)]),
        OpCase("conv2d", [[2, 5, 6], [4, 1, 3, 2], [4]], attrs: ["groups": .int(2), "dilation": .ints([1, 2])]),
        OpCase("conv_transpose2d", [[2, 3, 3], [2, 3, 2, 2], [3]], attrs: ["stride": .int(2), "output_padding": .int(1)]),
    ]

    @Test(arguments: unbatchedWithBias)
    func unbatchedSecondDerivatives(_ c: OpCase) throws {
        let op = try makeOp(c.name, c.attrs)
        try gradgradcheck({ try Tensor.apply(op, $0) }, inputs: c.inputs())
    }

    @Test(arguments: convolutionCases + unbatchedWithBias)
    func recordedGradientsEqualFirstOrderOnes(_ c: OpCase) throws {
        let op = try makeOp(c.name, c.attrs)
        let inputs = c.inputs()
        let leaves = inputs.map { Tensor($0, requiresGrad: true) }
        let y = try Tensor.apply(op, leaves)
        let seed = randomArray(y.shape, seed: 71)
        try y.backward(seed: seed)
        let again = inputs.map { Tensor($0, requiresGrad: true) }
        let recorded = try grad(of: try Tensor.apply(op, again), wrt: again, seed: Tensor(seed), createGraph: true)
        for (k, (l, r)) in zip(leaves, recorded).enumerated() {
            expectClose(r.value, l.gradOrZeros, rtol: 1e-12, atol: 1e-12, "\(c.name) input \(k)")
        }
    }

    /// f(w) = Σ conv2d(x, w)² has gradient 2 Bw*(x, B(x, w)) and, B being linear in w,
    /// Hessian-vector product 2 Bw*(x, B(x, v)): computed here with the first-order forward
    /// and vjp, and by `hvp` through the recorded double backward.
    @Test func hvpOfASquaredConvolutionIsItsClosedForm() throws {
        let conv = try Conv2dOp(stride: [2, 1], padding: .explicit([1, 2]), dilation: [1, 2], groups: 2)
        let x = randomArray([2, 4, 7, 8], seed: 41), w = randomArray([6, 2, 3, 2], seed: 42)
        let v = randomArray(w.shape, seed: 43)
        let (f, hv) = try hvp(
            { l in
                let y = try Tensor.apply(conv, [Tensor(x), l[0]])
                return try Tensor.apply(Sum(), [try Tensor.apply(Mul(), [y, y])])
            }, at: [w], vectors: [v])
        let y = conv.forward([x, w])
        #expect(abs(f.data[0] - y.data.reduce(0) { $0 + $1 * $1 }) < 1e-10)
        let bv = conv.forward([x, v])
        let expected = try #require(conv.vjp(bv, inputs: [x, v], output: bv, needs: [false, true])[1])
        #expect(hv[0].shape == w.shape)
        let worst = zip(hv[0].data, expected.data).map { abs($0 - 2 * $1) }.max() ?? .infinity
        #expect(worst <= 1e-10, "max |Hv - 2 Bw*(x, B(x, v))| = \(worst)")
        #expect(hv[0].data.contains { $0 != 0 })
    }

    /// conv2d is linear in x: its JVP along t is conv2d(t, w) without bias, exactly.
    @Test func jvpOfConv2dInXIsTheConvolutionOfTheTangent() throws {
        let conv = try Conv2dOp(stride: [2], padding: .explicit([1]))
        let x = randomArray([1, 3, 6, 5], seed: 51), w = randomArray([2, 3, 3, 3], seed: 52), b = randomArray([2], seed: 53)
        let t = randomArray(x.shape, seed: 54)
        let (_, jt) = try jvp({ try Tensor.apply(conv, [$0[0], Tensor(w), Tensor(b)]) }, at: [x], tangents: [t])
        let expected = conv.forward([t, w])
        #expect(jt.shape == expected.shape)
        let worst = zip(jt.data, expected.data).map { abs($0 - $1) }.max() ?? .infinity
        #expect(worst <= 1e-12)
    }

    /// A first-order `backward()` through a recorded gradient runs the helper ops' own
    /// `vjp`: the gradient penalty ‖∇ₓ Σ maxpool(conv(x, w))‖² differentiated by `backward()`
    /// equals the create-graph pass's answer.
    @Test func firstOrderBackwardThroughHelpersMatchesTheRecordedPass() throws {
        let inputs = [randomArray([2, 2, 5, 6], seed: 61), randomArray([3, 2, 3, 3], seed: 62), randomArray([3], seed: 63)]
        func penalty(_ l: [Tensor<Double>]) throws -> Tensor<Double> {
            let gx = try grad(of: try Self.convSquareMaxPool(l), wrt: [l[0], l[1]], createGraph: true)
            let a = try Tensor.apply(Sum(), [try Tensor.apply(Mul(), [gx[0], gx[0]])])
            let b = try Tensor.apply(Sum(), [try Tensor.apply(Mul(), [gx[1], gx[1]])])
            return try Tensor.apply(Add(), [a, b])
        }
        let leaves = inputs.map { Tensor($0, requiresGrad: true) }
        try penalty(leaves).backward()
        let again = inputs.map { Tensor($0, requiresGrad: true) }
        let recorded = try grad(of: try penalty(again), wrt: again)
        for (l, r) in zip(leaves, recorded) {
            let g = try #require(l.grad)
            let worst = zip(g.data, r.value.data).map { abs($0 - $1) }.max() ?? .infinity
            #expect(worst <= 1e-12 * (1 + (g.data.map(abs).max() ?? 0)))
            #expect(g.data.contains { $0 != 0 })
        }
    }
}

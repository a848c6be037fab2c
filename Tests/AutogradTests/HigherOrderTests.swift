import Autograd
import Testing

/// Second derivatives of every op in the table (PyTorch's `gradgradcheck`), third
/// derivatives of the families the issue names, and the higher-order API on functions
/// whose derivatives are known in closed form.
@Suite struct HigherOrderTests {
    /// The ops whose backward pass must itself be differentiable twice (triple backward):
    /// elementwise ops, matmul, linear, the reductions, shape ops, softmax / log_softmax
    /// and the losses (issue 12).
    static let tripleFamilies: Set<String> = [
        "add", "sub", "mul", "div", "neg", "pow", "exp", "log", "tanh", "sigmoid", "relu", "sqrt", "abs",
        "softplus", "gelu", "leaky_relu", "maximum", "minimum", "sin", "cos", "erf", "log1p", "expm1",
        "rsqrt", "square", "silu", "elu", "clamp", "where", "matmul", "linear", "sum", "mean", "amax", "amin",
        "logsumexp", "var", "std", "norm", "cumsum", "reshape", "transpose", "squeeze", "unsqueeze",
        "broadcast_to", "concat", "stack", "pad", "flip", "take", "gather", "slice", "softmax", "log_softmax",
        "mse_loss", "cross_entropy", "nll_loss", "binary_cross_entropy", "binary_cross_entropy_with_logits",
        "l1_loss", "smooth_l1_loss", "huber_loss", "kl_div", "cosine_similarity",
    ]

    @Test(arguments: opCases)
    func secondDerivativesMatchFiniteDifferences(_ c: OpCase) throws {
        let op = try makeOp(c.name, c.attrs)
        do {
            try gradgradcheck({ try Tensor.apply(op, $0) }, inputs: c.inputs(), differentiable: c.differentiable)
        } catch let error as GradcheckError {
            Issue.record("\(c.name): \(error)")
        }
    }

    /// `gradgradcheck` differentiates whatever gradient the recorded pass returns; this
    /// checks the gradient itself: the recorded pass's values equal `backward()`'s.
    @Test(arguments: opCases)
    func recordedGradientsEqualFirstOrderGradients(_ c: OpCase) throws {
        let op = try makeOp(c.name, c.attrs)
        let inputs = c.inputs()
        let leaves = inputs.enumerated().map { Tensor($1, requiresGrad: c.differentiable[$0]) }
        let y = try Tensor.apply(op, leaves)
        guard y.requiresGrad else { return }
        let v = randomArray(y.shape, seed: 31)
        try y.backward(seed: v)
        let wrt = leaves.indices.filter { c.differentiable[$0] }
        let recorded = try grad(of: y, wrt: wrt.map { leaves[$0] }, seed: Tensor(v), createGraph: true)
        for (j, k) in wrt.enumerated() {
            let first = leaves[k].gradOrZeros
            #expect(recorded[j].shape == first.shape, "input \(k)")
            for (a, b) in zip(recorded[j].scalars, first.data) where !(a.isNaN && b.isNaN) {
                #expect(abs(a - b) <= 1e-12 * max(1, abs(b)), "input \(k): recorded \(a), backward() \(b)")
            }
        }
    }

    @Test(arguments: opCases.filter { tripleFamilies.contains($0.name) })
    func thirdDerivativesMatchFiniteDifferences(_ c: OpCase) throws {
        let op = try makeOp(c.name, c.attrs)
        let inputs = c.inputs()
        let wrt = inputs.indices.filter { c.differentiable[$0] }
        let y0 = try Tensor.apply(op, inputs.map { Tensor($0) })
        let v = randomArray(y0.shape, seed: 17)
        let w = inputs.map { randomArray($0.shape, seed: 23) }
        // ⟨vᵀJ(x), w⟩, a recorded function of x whose second derivatives are op's third.
        func projected(_ leaves: [Tensor<Double>]) throws -> Tensor<Double> {
            for k in wrt { leaves[k].requiresGrad = true }
            let y = try Tensor.apply(op, leaves)
            let gs = try grad(of: y, wrt: wrt.map { leaves[$0] }, seed: Tensor(v), createGraph: true)
            var total = Tensor(NDArray<Double>(scalar: 0))
            for (j, k) in wrt.enumerated() {
                total = try Tensor.apply(Add(), [total, try Tensor.apply(Sum(), [try Tensor.apply(Mul(), [gs[j], Tensor(w[k])])])])
            }
            return total
        }
        do {
            try gradgradcheck(projected, inputs: inputs, differentiable: c.differentiable)
        } catch let error as GradcheckError {
            Issue.record("\(c.name): \(error)")
        }
    }

    @Test func gradOfGradOfACube() throws {
        let x = Tensor<Double>(NDArray(shape: [2], data: [1, 2]), requiresGrad: true)
        let y = try Tensor.apply(Sum(), [try Tensor.apply(Mul(), [try Tensor.apply(Mul(), [x, x]), x])])
        let dx = try grad(of: y, wrt: [x], createGraph: true)[0]
        #expect(dx.scalars == [3, 12])
        #expect(dx.requiresGrad)
        let ddx = try grad(of: try Tensor.apply(Sum(), [dx]), wrt: [x], createGraph: true)[0]
        #expect(ddx.scalars == [6, 12])
        let dddx = try grad(of: try Tensor.apply(Sum(), [ddx]), wrt: [x])[0]
        #expect(dddx.scalars == [6, 6])
        #expect(!dddx.requiresGrad)
        #expect(x.grad == nil, "grad(of:wrt:) accumulates into no leaf")
    }

    @Test func backwardWithCreateGraphAccumulatesAndReturnsRecordedGradients() throws {
        let x = Tensor<Double>(NDArray(shape: [3], data: [1, -2, 0.5]), requiresGrad: true)
        let y = try Tensor.apply(Sum(), [try Tensor.apply(Mul(), [x, x])])
        let g = try y.backward(createGraph: true, wrt: [x])[0]
        #expect(x.grad?.data == [2, -4, 1])
        #expect(g.scalars == [2, -4, 1])
        try Tensor.apply(Sum(), [try Tensor.apply(Mul(), [g, g])]).backward()
        // d/dx Σ (2x)² = 8x, added to the 2x already there.
        #expect(x.grad?.data == [2 + 8, -4 - 16, 1 + 4])
    }

    @Test func gradWithRespectToAnUnusedTensorIsZero() throws {
        let x = Tensor<Double>(NDArray(shape: [2], data: [1, 2]), requiresGrad: true)
        let z = Tensor<Double>(NDArray(shape: [2, 2], data: [1, 2, 3, 4]), requiresGrad: true)
        let y = try Tensor.apply(Sum(), [x])
        let g = try grad(of: y, wrt: [z, x])
        #expect(g[0].scalars == [0, 0, 0, 0] && g[0].shape == [2, 2])
        #expect(g[1].scalars == [1, 1])
    }

    @Test func gradWithRespectToAnIntermediateNode() throws {
        let x = Tensor<Double>(NDArray(shape: [2], data: [1, 2]), requiresGrad: true)
        let u = try Tensor.apply(Mul(), [x, x])  // u = x²
        let y = try Tensor.apply(Sum(), [try Tensor.apply(Mul(), [u, u])])  // Σ u²
        let g = try grad(of: y, wrt: [u, x])
        #expect(g[0].scalars == [2, 8])  // 2u
        #expect(g[1].scalars == [4, 32])  // 4x³
    }

    @Test func jvpOfASquare() throws {
        let (y, t) = try jvp(
            { try Tensor.apply(Mul(), [$0[0], $0[0]]) }, at: [NDArray<Double>(shape: [3], data: [1, 2, 3])],
            tangents: [NDArray(shape: [3], data: [1, 0, -1])])
        #expect(y.data == [1, 4, 9])
        #expect(t.data == [2, 0, -6])
    }

    @Test func jvpOfTwoInputsSumsTheirDirections() throws {
        // f(a, b) = a * b (broadcast [2,1] x [3]): J·(ta, tb) = ta * b + a * tb.
        let a = NDArray<Double>(shape: [2, 1], data: [2, -1]), b = NDArray<Double>(shape: [3], data: [1, 2, 3])
        let ta = NDArray<Double>(shape: [2, 1], data: [1, 0.5]), tb = NDArray<Double>(shape: [3], data: [0, 1, -1])
        let (_, t) = try jvp({ try Tensor.apply(Mul(), [$0[0], $0[1]]) }, at: [a, b], tangents: [ta, tb])
        var expected: [Double] = []
        for i in 0..<2 { for j in 0..<3 { expected.append(ta.data[i] * b.data[j] + a.data[i] * tb.data[j]) } }
        #expect(t.shape == [2, 3] && t.data == expected)
    }

    @Test func hvpOfACubicSum() throws {
        // f = Σ x³ + Σ x·z: H = [[diag(6x), I], [I, 0]].
        let x = NDArray<Double>(shape: [2], data: [1, 2]), z = NDArray<Double>(shape: [2], data: [3, -1])
        let vx = NDArray<Double>(shape: [2], data: [1, -1]), vz = NDArray<Double>(shape: [2], data: [2, 0.5])
        let (f, hv) = try hvp(
            { l in
                let cube = try Tensor.apply(Mul(), [try Tensor.apply(Mul(), [l[0], l[0]]), l[0]])
                return try Tensor.apply(Sum(), [try Tensor.apply(Add(), [cube, try Tensor.apply(Mul(), [l[0], l[1]])])])
            }, at: [x, z], vectors: [vx, vz])
        let expectedF: Double = 1 + 8 + 3 - 2
        let expectedHx: [Double] = [6 * 1 * 1 + 2, 6 * 2 * -1 + 0.5]
        let expectedHz: [Double] = [1, -1]
        #expect(f.data == [expectedF])
        #expect(hv[0].data == expectedHx)
        #expect(hv[1].data == expectedHz)
    }

    @Test func anOpWithoutADifferentiableVJPIsNamed() throws {
        let x = Tensor<Double>(NDArray(shape: [2], data: [1, 2]), requiresGrad: true)
        let y = try Tensor.apply(Sum(), [try Tensor.apply(NotTwice(), [x])])
        #expect(throws: AutogradError.notTwiceDifferentiable(function: "NotTwiceBackward")) {
            try grad(of: y, wrt: [x], createGraph: true)
        }
    }
}

/// The identity, with a first-order vjp only.
private struct NotTwice: Operator {
    static let signature = OpSignature(name: "not_twice", arity: .exactly(1), inputs: ["x"], summary: "identity")
    init() {}
    init(attributes: Attributes) {}
    func outputShape(_ inputs: [[Int]]) throws(OpError) -> [Int] { inputs[0] }
    func forward<T: Scalar>(_ inputs: [NDArray<T>]) -> NDArray<T> { inputs[0] }
    func vjp<T: Scalar>(_ grad: NDArray<T>, inputs: [NDArray<T>], output: NDArray<T>, needs: [Bool]) -> [NDArray<T>?] {
        [grad]
    }
}

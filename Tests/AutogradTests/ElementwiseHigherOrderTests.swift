import Autograd
import Foundation
import Testing

/// Higher derivatives of the elementwise ops and softmax against closed forms, in
/// float64 to 1e-12; their kink conventions at second order; and the create-graph pass's
/// first derivative against `backward()`'s, bit for bit in float32.
@Suite struct ElementwiseHigherOrderTests {
    static let points: [Double] = [-2.5, -1.3, -0.4, 0.1, 0.7, 1.9]

    /// f'(x) and f''(x) of an elementwise `f` at `points`, by the create-graph pass: the
    /// gradient of Σ f(x), then the gradient of Σ f'(x) (each element's own second derivative).
    func derivatives(
        at points: [Double], _ f: (Tensor<Double>) throws -> Tensor<Double>
    ) throws -> (first: [Double], second: [Double], third: [Double]) {
        let x = Tensor(NDArray(shape: [points.count], data: points), requiresGrad: true)
        let d1 = try grad(of: try f(x).sum(), wrt: [x], createGraph: true)[0]
        let d2 = try grad(of: d1.sum(), wrt: [x], createGraph: true)[0]
        let d3 = try grad(of: d2.sum(), wrt: [x])[0]
        return (d1.scalars, d2.scalars, d3.scalars)
    }

    func expectValues(
        _ actual: [Double], _ expected: [Double], _ what: String, tolerance: Double = 1e-12,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        #expect(actual.count == expected.count, "\(what): count", sourceLocation: sourceLocation)
        for (i, (a, e)) in zip(actual, expected).enumerated() where !((a - e).magnitude <= tolerance * max(1, e.magnitude)) {
            Issue.record("\(what)[\(i)]: got \(a), expected \(e)", sourceLocation: sourceLocation)
            return
        }
    }

    @Test func tanhSecondAndThirdDerivatives() throws {
        let d = try derivatives(at: Self.points) { tanh($0) }
        let t = Self.points.map { Foundation.tanh($0) }
        expectValues(d.first, t.map { 1 - $0 * $0 }, "tanh'")
        expectValues(d.second, t.map { -2 * $0 * (1 - $0 * $0) }, "tanh''")
        expectValues(d.third, t.map { (1 - $0 * $0) * (6 * $0 * $0 - 2) }, "tanh'''")
    }

    @Test func sigmoidSecondAndThirdDerivatives() throws {
        let d = try derivatives(at: Self.points) { sigmoid($0) }
        let s = Self.points.map { 1 / (1 + Foundation.exp(-$0)) }
        expectValues(d.second, s.map { $0 * (1 - $0) * (1 - 2 * $0) }, "sigmoid''")
        expectValues(d.third, s.map { $0 * (1 - $0) * (1 - 6 * $0 + 6 * $0 * $0) }, "sigmoid'''")
    }

    @Test func logSecondAndThirdDerivatives() throws {
        let xs: [Double] = [0.3, 0.9, 1, 2.5, 7]
        let d = try derivatives(at: xs) { $0.log() }
        expectValues(d.first, xs.map { 1 / $0 }, "log'")
        expectValues(d.second, xs.map { -1 / ($0 * $0) }, "log''")
        expectValues(d.third, xs.map { 2 / ($0 * $0 * $0) }, "log'''")
    }

    @Test func expSqrtRsqrtLog1pExpm1() throws {
        let xs: [Double] = [0.3, 0.9, 1, 2.5]
        expectValues(try derivatives(at: xs) { $0.exp() }.third, xs.map { Foundation.exp($0) }, "exp'''")
        // sqrt'' = -x^(-3/2) / 4, rsqrt'' = 3/4 x^(-5/2)
        expectValues(try derivatives(at: xs) { $0.sqrt() }.second, xs.map { -0.25 * Foundation.pow($0, -1.5) }, "sqrt''")
        expectValues(try derivatives(at: xs) { $0.rsqrt() }.second, xs.map { 0.75 * Foundation.pow($0, -2.5) }, "rsqrt''")
        expectValues(try derivatives(at: xs) { $0.log1p() }.second, xs.map { -1 / ((1 + $0) * (1 + $0)) }, "log1p''")
        expectValues(try derivatives(at: xs) { $0.expm1() }.second, xs.map { Foundation.exp($0) }, "expm1''")
    }

    @Test func trigonometricErfAndGELU() throws {
        let xs = Self.points
        let sin3 = try derivatives(at: xs) { $0.sin() }
        expectValues(sin3.second, xs.map { -Foundation.sin($0) }, "sin''")
        expectValues(sin3.third, xs.map { -Foundation.cos($0) }, "sin'''")
        expectValues(try derivatives(at: xs) { $0.cos() }.third, xs.map { Foundation.sin($0) }, "cos'''")
        // erf'' = -2x · 2/√π e^(-x²)
        let c = 2 / Double.pi.squareRoot()
        expectValues(try derivatives(at: xs) { $0.erf() }.second, xs.map { -2 * $0 * c * Foundation.exp(-$0 * $0) }, "erf''")
        // gelu'' = φ(x) (2 - x²), φ the standard normal density.
        let phi = { (x: Double) in Foundation.exp(-x * x / 2) / (2 * Double.pi).squareRoot() }
        expectValues(try derivatives(at: xs) { gelu($0) }.second, xs.map { phi($0) * (2 - $0 * $0) }, "gelu''")
    }

    @Test func geluTanhApproximationSecondDerivative() throws {
        // u = β(x + κx³), f = x (1 + tanh u) / 2:
        // f'' = sech²u · u' + x/2 · (sech²u · u'' - 2 tanh u sech²u · u'²).
        let beta = (2 / Double.pi).squareRoot(), kappa = 0.044715
        let expected = Self.points.map { x -> Double in
            let u = beta * (x + kappa * x * x * x), du = beta * (1 + 3 * kappa * x * x), ddu = beta * 6 * kappa * x
            let t = Foundation.tanh(u), sech2 = 1 - t * t
            return sech2 * du + x / 2 * (sech2 * ddu - 2 * t * sech2 * du * du)
        }
        expectValues(try derivatives(at: Self.points) { gelu($0, approximate: .tanh) }.second, expected, "gelu(tanh)''")
    }

    @Test func siluSoftplusEluSquare() throws {
        let xs = Self.points
        let s = xs.map { 1 / (1 + Foundation.exp(-$0)) }
        // silu = x σ: silu'' = σ'(2 + x (1 - 2σ)), σ' = σ(1 - σ).
        expectValues(
            try derivatives(at: xs) { $0.silu() }.second,
            zip(xs, s).map { x, s in s * (1 - s) * (2 + x * (1 - 2 * s)) }, "silu''")
        expectValues(try derivatives(at: xs) { softplus($0) }.second, s.map { $0 * (1 - $0) }, "softplus''")
        // elu: alpha e^x below 0, 0 above.
        expectValues(
            try derivatives(at: xs) { $0.elu(alpha: 0.5) }.third, xs.map { $0 <= 0 ? 0.5 * Foundation.exp($0) : 0 }, "elu'''")
        let sq = try derivatives(at: xs) { $0.square() }
        expectValues(sq.second, xs.map { _ in 2 }, "square''")
        expectValues(sq.third, xs.map { _ in 0 }, "square'''")
    }

    @Test func powWithATensorExponent() throws {
        // f = a^b: f_aa = b(b-1)a^(b-2), f_bb = a^b ln²a, f_ab = a^(b-1)(1 + b ln a).
        let av: [Double] = [0.5, 1.3, 2.2], bv: [Double] = [-1.5, 0.7, 2.4]
        let a = Tensor(NDArray(shape: [3], data: av), requiresGrad: true)
        let b = Tensor(NDArray(shape: [3], data: bv), requiresGrad: true)
        let g = try grad(of: pow(a, b).sum(), wrt: [a, b], createGraph: true)
        let (faa, fab) = try { let h = try grad(of: g[0].sum(), wrt: [a, b]); return (h[0].scalars, h[1].scalars) }()
        let fbb = try grad(of: g[1].sum(), wrt: [b])[0].scalars
        expectValues(faa, zip(av, bv).map { a, b in b * (b - 1) * Foundation.pow(a, b - 2) }, "f_aa")
        expectValues(fbb, zip(av, bv).map { a, b in Foundation.pow(a, b) * Foundation.log(a) * Foundation.log(a) }, "f_bb")
        expectValues(fab, zip(av, bv).map { a, b in Foundation.pow(a, b - 1) * (1 + b * Foundation.log(a)) }, "f_ab")
    }

    @Test func powAtAZeroBaseHasNoNaNInItsSecondDerivative() throws {
        // x^0 is 1 for every x: all its derivatives are 0, at x = 0 too (not 0 · 0^-1).
        // x^2 at 0: f'' = 2, and the mixed derivative a^(b-1)(1 + b ln a) → 0 as a → 0.
        let a = Tensor(NDArray(shape: [2], data: [0, 0]), requiresGrad: true)
        let b = Tensor(NDArray(shape: [2], data: [0, 2]), requiresGrad: true)
        let g = try grad(of: pow(a, b).sum(), wrt: [a, b], createGraph: true)
        #expect(g[0].scalars == [0, 0] && g[1].scalars == [0, 0])
        let h = try grad(of: g[0].sum(), wrt: [a, b])
        #expect(h[0].scalars == [0, 2])
        #expect(h[1].scalars == [0, 0])
    }

    @Test func divSecondDerivatives() throws {
        // f = a / b: f_ab = -1/b², f_bb = 2a/b³, f_aa = 0.
        let a = Tensor(NDArray(shape: [2], data: [1.5, -0.7]), requiresGrad: true)
        let b = Tensor(NDArray(shape: [2], data: [0.8, 2.5]), requiresGrad: true)
        let g = try grad(of: (a / b).sum(), wrt: [a, b], createGraph: true)
        let ha = try grad(of: g[0].sum(), wrt: [a, b])
        let hb = try grad(of: g[1].sum(), wrt: [b])[0]
        expectValues(ha[0].scalars, [0, 0], "f_aa")
        expectValues(ha[1].scalars, [-1 / 0.64, -1 / 6.25], "f_ab")
        expectValues(hb.scalars, [2 * 1.5 / 0.512, 2 * -0.7 / 15.625], "f_bb")
    }

    @Test func logSumExpAndSoftmaxHessians() throws {
        // logsumexp: H = diag(p) - p pᵀ; log_softmax_i: the same H with a minus sign;
        // H v for v = e_0 picks column 0.
        let xs: [Double] = [0.3, -1.2, 2, 0.5]
        let e = xs.map { Foundation.exp($0) }, z = e.reduce(0, +), p = e.map { $0 / z }
        let v = NDArray<Double>(shape: [4], data: [1, 0, 0, 0])
        let column0 = p.indices.map { (i: Int) -> Double in (i == 0 ? p[0] : 0) - p[i] * p[0] }
        let (_, hv) = try hvp({ try Tensor.apply(LogSumExp(), [$0[0]]) }, at: [NDArray(shape: [4], data: xs)], vectors: [v])
        expectValues(hv[0].data, column0, "logsumexp H e0")
        // Σ_i w_i log_softmax_i(x), Σ w = 1: its Hessian is -(diag(p) - p pᵀ).
        let w = Tensor(NDArray<Double>(shape: [4], data: [0.1, 0.2, 0.3, 0.4]))
        let (_, hw) = try hvp(
            { try Tensor.apply(Mul(), [try Tensor.apply(LogSoftmax(), [$0[0]]), w]).sum() },
            at: [NDArray(shape: [4], data: xs)], vectors: [v])
        expectValues(hw[0].data, column0.map { -$0 }, "log_softmax H e0")
        // Σ_i w_i softmax_i(x): ∂²p_i/∂x_j∂x_k = p_i[(δ_ik - p_k)(δ_ij - p_j) - p_j(δ_jk - p_k)], k = 0.
        let wv = w.scalars
        func delta(_ i: Int, _ j: Int) -> Double { i == j ? 1 : 0 }
        let softmaxColumn0 = p.indices.map { j in
            p.indices.reduce(0.0) { acc, i in
                acc + wv[i] * p[i] * ((delta(i, 0) - p[0]) * (delta(i, j) - p[j]) - p[j] * (delta(j, 0) - p[0]))
            }
        }
        let (_, hs) = try hvp(
            { try Tensor.apply(Mul(), [try Tensor.apply(Softmax(), [$0[0]]), w]).sum() },
            at: [NDArray(shape: [4], data: xs)], vectors: [v])
        expectValues(hs[0].data, softmaxColumn0, "softmax H e0")
    }

    @Test func kinksFollowTheFirstOrderConventions() throws {
        // relu, abs, clamp at their kinks: the first derivative is torch's (0, 0, 0 on a
        // bound), the second is 0; leaky_relu takes the slope at 0, elu alpha. Every value
        // here is torch 2.15's (autograd.grad with create_graph, float64).
        let xs: [Double] = [0, -1, 1]
        let relu = try derivatives(at: xs) { Autograd.relu($0) }
        #expect(relu.first == [0, 0, 1] && relu.second == [0, 0, 0])
        let abs = try derivatives(at: xs) { $0.abs() }
        #expect(abs.first == [0, -1, 1] && abs.second == [0, 0, 0])
        let clamp = try derivatives(at: xs) { $0.clamp(min: -1, max: 0.5) }
        #expect(clamp.first == [1, 0, 0] && clamp.second == [0, 0, 0])
        let leaky = try derivatives(at: xs) { leakyRelu($0, negativeSlope: 0.2) }
        #expect(leaky.first == [0.2, 0.2, 1] && leaky.second == [0, 0, 0])
        let elu = try derivatives(at: xs) { $0.elu(alpha: 0.5) }
        #expect(elu.first == [0.5, 0.5 * Foundation.exp(-1), 1])
        // torch's elu_double_backward masks with x < 0: at 0 the second derivative is 0.
        #expect(elu.second == [0, 0.5 * Foundation.exp(-1), 0])
        #expect(elu.third == [0, 0.5 * Foundation.exp(-1), 0])
        // softplus at its threshold 20: σ(20) first (20 > 20 is false), then 0 (torch's
        // softplus_double_backward masks with x < 20); below it σ' and σ''.
        let softplus = try derivatives(at: [20, 20.5, 19.5]) { Autograd.softplus($0) }
        let s = 1 / (1 + Foundation.exp(-19.5))
        expectValues(softplus.first, [1 / (1 + Foundation.exp(-20)), 1, s], "softplus' at the threshold")
        expectValues(softplus.second, [0, 0, s * (1 - s)], "softplus'' at the threshold")
        expectValues(softplus.third, [0, 0, s * (1 - s) * (1 - 2 * s)], "softplus''' at the threshold")
        let sign = try derivatives(at: xs) { $0.sign() }
        #expect(sign.first == [0, 0, 0] && sign.second == [0, 0, 0])
        // maximum and minimum split a tie: g/2 each, and nothing at second order.
        let a = Tensor(NDArray<Double>(shape: [2], data: [1, 2]), requiresGrad: true)
        let b = Tensor(NDArray<Double>(shape: [2], data: [1, 3]), requiresGrad: true)
        let g = try grad(of: (maximum(a, b) * maximum(a, b)).sum(), wrt: [a, b], createGraph: true)
        #expect(g[0].scalars == [1, 0] && g[1].scalars == [1, 6])
        let h = try grad(of: g[1].sum(), wrt: [a, b])
        // d/db of 2 max(a,b) ∂max/∂b: (1/2 · 2 · 1/2 at the tie) and 2 where b wins.
        #expect(h[0].scalars == [0.5, 0] && h[1].scalars == [0.5, 2])
    }

    @Test func scalarArithmeticOfTheSwiftAPI() throws {
        // (3x + 1)²: second derivative 18, third 0.
        let d = try derivatives(at: [0.5, -2]) { x in
            let u = x * 3.0 + 1.0
            return u * u
        }
        #expect(d.first == [15, -30] && d.second == [18, 18] && d.third == [0, 0])
    }

    @Test func comparisonsAndWhereAtSecondOrder() throws {
        // where(x > 0, x², x³): second derivative 2 or 6x; the condition is a constant.
        let xs: [Double] = [-1.5, 0.5, 2]
        let d = try derivatives(at: xs) { x in
            let c = try Tensor.apply(Greater(), [x, Tensor(NDArray(scalar: 0))])
            return try Tensor.apply(Where(), [c, x * x, x * x * x])
        }
        expectValues(d.second, [6 * -1.5, 2, 2], "where''")
        expectValues(d.third, [6, 0, 0], "where'''")
    }

    /// The ops whose create-graph first derivative is `backward()`'s to the bit: all but
    /// silu (recorded through the stable two-branch sigmoid, where the first-order kernel
    /// takes torch's 1/(1 + e^-x)), erf and gelu (exp and erf ops, where the first-order
    /// kernels are cak_special's fused gradients); those agree to a few ulps.
    static let bitIdentical = [
        "tanh", "sigmoid", "exp", "log", "sqrt", "rsqrt", "log1p", "expm1", "square", "abs", "sin", "cos", "relu",
        "leaky_relu", "clamp", "softplus", "elu", "div", "pow", "maximum", "minimum", "softmax", "log_softmax",
        "logsumexp",
    ]

    /// The create-graph pass's first derivative, in float32, is `backward()`'s to the bit:
    /// the formulas are the first-order ones, in the same order of operations. A few ops
    /// also on arrays large enough for the split (threaded) kernels.
    @Test(arguments: bitIdentical.map { ($0, [4, 5]) }
            + ["tanh", "sigmoid", "div", "maximum", "relu", "softmax"].map { ($0, [300, 400]) })
    func createGraphFirstDerivativeIsBackwardsBitForBit(_ name: String, _ shape: [Int]) throws {
        let op = try makeOp(name, name == "clamp" ? ["min": .number(-0.5), "max": .number(0.75)] : [:])
        let binary = type(of: op).signature.arity.accepts(2)
        let shapes: [[Int]] = binary ? [shape, [shape[1]]] : [shape]
        let inputs = shapes.enumerated().map { i, s in
            randomArray(s, in: i == 1 || ["log", "sqrt", "rsqrt", "pow"].contains(name) ? 0.5...2 : -2...2, seed: 41 + UInt64(i))
        }
        let xs = inputs.map { Tensor(NDArray<Float>(shape: $0.shape, data: $0.data.map { Float($0) }), requiresGrad: true) }
        let seed = randomArray(try Tensor.apply(op, inputs.map { Tensor($0) }).shape, seed: 7)
        let v = NDArray<Float>(shape: seed.shape, data: seed.data.map { Float($0) })
        let y = try Tensor.apply(op, xs)
        try y.backward(seed: v)
        let recorded = try grad(of: y, wrt: xs, seed: Tensor(v), createGraph: true)
        for (x, g) in zip(xs, recorded) {
            let expected = try #require(x.grad)
            #expect(g.shape == expected.shape)
            #expect(g.scalars.map(\.bitPattern) == expected.data.map(\.bitPattern), "\(name)")
        }
    }

    // MARK: fused chains

    /// A program using every fused instruction kind: the unary ops with hand-written
    /// kernels, a formula op (sin), the binary ops, constants, and a one-element input.
    static func program(_ x: [FusedElementwise.Value]) -> FusedElementwise.Value {
        let u = (x[0] * x[1] + 0.5).tanh() - x[2].exp() / (x[1].abs() + 1)
        let v = u.sigmoid() * x[0].maximum(x[1]) + u.softplus() - x[0].leakyReLU(negativeSlope: 0.1)
        let w = v + x[1].apply(Sin()) + (x[0] * x[0] + 1).log().sqrt() - (-x[1]).minimum(x[2]) * 0.25
        return (w + 3).relu()
    }

    /// The same program as separate recorded ops.
    static func unfused(_ x: [Tensor<Double>]) -> Tensor<Double> {
        let u = tanh(x[0] * x[1] + 0.5) - x[2].exp() / (x[1].abs() + 1.0)
        let v = sigmoid(u) * maximum(x[0], x[1]) + softplus(u) - leakyRelu(x[0], negativeSlope: 0.1)
        let w = v + x[1].sin() + (x[0] * x[0] + 1.0).log().sqrt() - minimum(-x[1], x[2]) * 0.25
        return relu(w + 3.0)
    }

    static let fusedInputs = [
        randomArray([2, 3], seed: 3), randomArray([2, 3], seed: 5), NDArray<Double>(shape: [1], data: [0.3]),
    ]

    @Test(arguments: [false, true])
    func fusedChainsPassGradgradcheckToThirdOrder(_ sums: Bool) throws {
        let f = try FusedElementwise.trace(inputs: 3) { x in sums ? Self.program(x).sum() : Self.program(x) }
        let inputs = Self.fusedInputs
        try gradgradcheck({ try Tensor.apply(f, $0) }, inputs: inputs)
        // Third order: ⟨vᵀJ(x), w⟩ as a recorded function of x, checked by gradgradcheck.
        let v = randomArray(try Tensor.apply(f, inputs.map { Tensor($0) }).shape, seed: 17)
        let w = inputs.map { randomArray($0.shape, seed: 23) }
        try gradgradcheck({ leaves in
            for l in leaves { l.requiresGrad = true }
            let gs = try grad(of: try Tensor.apply(f, leaves), wrt: leaves, seed: Tensor(v), createGraph: true)
            return zip(gs, w).map { g, w in (g * Tensor(w)).sum() }.reduce(Tensor(NDArray(scalar: 0))) { $0 + $1 }
        }, inputs: inputs)
    }

    @Test func fusedHessianVectorProductIsTheUnfusedOne() throws {
        let f = try FusedElementwise.trace(inputs: 3) { x in Self.program(x).sum() }
        let vectors = Self.fusedInputs.map { randomArray($0.shape, seed: 31) }
        let (y, fused) = try hvp({ try Tensor.apply(f, $0) }, at: Self.fusedInputs, vectors: vectors)
        let (y0, plain) = try hvp({ Self.unfused($0).sum() }, at: Self.fusedInputs, vectors: vectors)
        expectValues(y.data, y0.data, "value")
        for (a, b) in zip(fused, plain) { expectValues(a.data, b.data, "hvp") }
    }

    // MARK: against torch

    /// torch's first, second and third derivatives of the one-input ops, from
    /// tools/gen_elementwise_higher_order.py (its output pasted here).
    static let torchDerivatives: [(String, [Double], [Double], [Double], [Double])] = [
    // torch 2.15.0+cu132: (op, x, f'(x), f''(x), f'''(x))
    ("exp", [-2.7, -0.9, 0.45, 1.6, 3.3], [0.06720551273974976, 0.4065696597405991, 1.568312185490169, 4.953032424395115, 27.112638920657883], [0.06720551273974976, 0.4065696597405991, 1.568312185490169, 4.953032424395115, 27.112638920657883], [0.06720551273974976, 0.4065696597405991, 1.568312185490169, 4.953032424395115, 27.112638920657883]),
    ("log", [0.35, 0.8, 1.7, 2.9], [2.857142857142857, 1.25, 0.5882352941176471, 0.3448275862068966], [-8.16326530612245, -1.5625, -0.34602076124567477, -0.11890606420927469], [46.64723032069971, 3.90625, 0.40708324852432326, 0.08200418221329289]),
    ("sqrt", [0.35, 0.8, 1.7, 2.9], [0.8451542547285166, 0.5590169943749475, 0.3834824944236852, 0.29361010975735174], [-1.2073632210407381, -0.34938562148434216, -0.11278896894814272, -0.05062243271678479], [5.174413804460306, 0.6550980402831416, 0.09951967848365535, 0.026184016922474893]),
    ("rsqrt", [0.35, 0.8, 1.7, 2.9], [-2.414726442081476, -0.6987712429686844, -0.22557793789628539, -0.10124486543356957], [10.34882760892061, 1.3101960805662836, 0.1990393569673106, 0.052368033844949785], [-73.92019720657578, -4.094362751769636, -0.2927049367166332, -0.04514485676288774]),
    ("log1p", [-0.6, -0.2, 0.45, 1.6, 3.3], [2.5, 1.25, 0.6896551724137931, 0.3846153846153846, 0.23255813953488372], [-6.25, -1.5625, -0.47562425683709875, -0.14792899408284022, -0.05408328826392645], [31.25, 3.90625, 0.6560334577063431, 0.11379153390987709, 0.02515501779717509]),
    ("expm1", [-2.7, -0.9, 0.45, 1.6, 3.3], [0.06720551273974973, 0.4065696597405991, 1.5683121854901687, 4.953032424395115, 27.112638920657883], [0.06720551273974973, 0.4065696597405991, 1.5683121854901687, 4.953032424395115, 27.112638920657883], [0.06720551273974973, 0.4065696597405991, 1.5683121854901687, 4.953032424395115, 27.112638920657883]),
    ("tanh", [-2.7, -0.9, 0.45, 1.6, 3.3], [0.0179042267544136, 0.4869173611483415, 0.8220012293690537, 0.1505270758182854, 0.005426697495892987], [0.0354864443319341, 0.6975557375069725, -0.6936030019701748, -0.2774721447369448, -0.01082390588453352], [0.06969353900361364, 0.5251383450673794, -0.7661112090291993, 0.4661578999467185, 0.02153009570930036]),
    ("sigmoid", [-2.7, -0.9, 0.45, 1.6, 3.3], [0.05900771248391523, 0.20550030734226343, 0.2377589599111293, 0.13976379193306102, 0.03430587976636643], [0.05157588510719829, 0.08670037524627186, -0.052610938378262286, -0.09280829699561748, -0.031865277881698996], [0.0381162516884088, -0.04788195056432494, -0.10141697819700266, 0.022560286720013187, 0.027244519447100095]),
    ("softplus", [-2.7, -0.9, 0.45, 1.6, 3.3], [0.06297335605699649, 0.289050497374996, 0.610639233949222, 0.8320183851339245, 0.9644288107273639], [0.05900771248391523, 0.20550030734226343, 0.2377589599111293, 0.13976379193306102, 0.03430587976636643], [0.05157588510719829, 0.08670037524627186, -0.052610938378262286, -0.09280829699561748, -0.031865277881698996]),
    ("gelu", [-2.7, -0.9, 0.45, 1.6, 3.3], [-0.024669550195900326, -0.05541659956211986, 0.8358819128198215, 1.1226740437875709, 1.0052010533564935], [-0.05512674516829552, 0.3166414473795182, 0.6480472150248122, -0.06211566742049518, -0.015313637868187225], [-0.09256916395651592, 0.7639307524593252, -0.6160955129766486, -0.2555616031014655, 0.039166049967263535]),
    ("gelu_tanh", [-2.7, -0.9, 0.45, 1.6, 3.3], [-0.024667865435190336, -0.055067204759616656, 0.8357855571734826, 1.1231005130917877, 1.0047497144977224], [-0.05671720508192768, 0.3164381227153976, 0.6475025448394123, -0.06031023008777268, -0.015224844390774175], [-0.09449664969991341, 0.7605752750368543, -0.6174934619262162, -0.2570391555112017, 0.04126870947576462]),
    ("silu", [-2.7, -0.9, 0.45, 1.6, 3.3], [-0.09634746764957464, 0.10410022076695889, 0.7176307659092301, 1.0556404522268221, 1.077638213956373], [-0.021239464821604923, 0.3329702769628822, 0.45184299755204055, 0.13103430867313404, -0.036543657476873805], [0.05181377576289112, 0.30319488124670807, -0.20347045532343802, -0.2423284322348313, -0.005688919469666695]),
    ("elu", [-2.7, -0.9, 0.45, 1.6, 3.3], [0.03360275636987488, 0.20328482987029955, 1.0, 1.0, 1.0], [0.03360275636987488, 0.20328482987029955, 0.0, 0.0, 0.0], [0.03360275636987488, 0.20328482987029955, 0.0, 0.0, 0.0]),
    ("sin", [-2.7, -0.9, 0.45, 1.6, 3.3], [-0.9040721420170612, 0.6216099682706644, 0.9004471023526769, -0.029199522301288815, -0.9874797699088649], [0.4273798802338298, 0.7833269096274834, -0.43496553411123023, -0.9995736030415051, 0.1577456941432482], [0.9040721420170612, -0.6216099682706644, -0.9004471023526769, 0.029199522301288815, 0.9874797699088649]),
    ("cos", [-2.7, -0.9, 0.45, 1.6, 3.3], [0.4273798802338298, 0.7833269096274834, -0.43496553411123023, -0.9995736030415051, 0.1577456941432482], [0.9040721420170612, -0.6216099682706644, -0.9004471023526769, 0.029199522301288815, 0.9874797699088649], [-0.4273798802338298, -0.7833269096274834, 0.43496553411123023, 0.9995736030415051, -0.1577456941432482]),
    ("erf", [-2.7, -0.9, 0.45, 1.6, 3.3], [0.0007699247598551424, 0.5019685742403627, 0.9215320130122201, 0.08722905863394531, 2.1037210443580333e-05], [0.004157593703217769, 0.9035434336326529, -0.8293788117109981, -0.279132987628625, -0.00013884558892763018], [0.020911156477665675, 0.6224410320580496, -1.0966230954845417, 0.7187674431437096, 0.0008743064660351986]),
    ("square", [-2.7, -0.9, 0.45, 1.6, 3.3], [-5.4, -1.8, 0.9, 3.2, 6.6], [2.0, 2.0, 2.0, 2.0, 2.0], [0.0, 0.0, 0.0, 0.0, 0.0]),
    ]

    static func unaryOp(_ name: String) -> (Tensor<Double>) -> Tensor<Double> {
        switch name {
        case "exp": { $0.exp() }
        case "log": { $0.log() }
        case "sqrt": { $0.sqrt() }
        case "rsqrt": { $0.rsqrt() }
        case "log1p": { $0.log1p() }
        case "expm1": { $0.expm1() }
        case "tanh": { tanh($0) }
        case "sigmoid": { sigmoid($0) }
        case "softplus": { softplus($0) }
        case "gelu": { gelu($0) }
        case "gelu_tanh": { gelu($0, approximate: .tanh) }
        case "silu": { $0.silu() }
        case "elu": { $0.elu(alpha: 0.5) }
        case "sin": { $0.sin() }
        case "cos": { $0.cos() }
        case "erf": { $0.erf() }
        default: { $0.square() }
        }
    }

    @Test(arguments: torchDerivatives.map(\.0))
    func firstSecondAndThirdDerivativesAreTorchs(_ name: String) throws {
        let row = try #require(Self.torchDerivatives.first { $0.0 == name })
        let d = try derivatives(at: row.1, Self.unaryOp(name))
        expectValues(d.first, row.2, "\(name)'")
        expectValues(d.second, row.3, "\(name)''")
        expectValues(d.third, row.4, "\(name)'''")
    }
}

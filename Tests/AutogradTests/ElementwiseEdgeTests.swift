import Autograd
import Foundation
import Testing

/// Exact values and gradients of the elementwise ops where finite differences cannot look:
/// kinks, ties, poles and saturation, in both precisions, against PyTorch's conventions.
@Suite struct ElementwiseEdgeTests {
    // MARK: Kinks, ties and poles

    @Test func reluHasZeroSubgradientAtZero() throws {
        let r = try run(relu, [0, -0.0, -2, 3] as [Double])
        #expect(r.y == [0, 0, 0, 3])
        #expect(r.dx == [0, 0, 0, 1])
        // torch.relu keeps NaN, and threshold_backward passes the gradient through it.
        let n = try run(relu, [Double.nan])
        #expect(n.y[0].isNaN && n.dx == [1])
    }

    @Test func absHasZeroSubgradientAtZero() throws {
        let r = try run({ $0.abs() }, [0, -0.0, -2, 3] as [Double], upstream: 5)
        #expect(r.y == [0, 0, 2, 3])
        #expect(r.dx == [0, 0, -5, 5])
    }

    @Test func leakyReluUsesTheSlopeAtZero() throws {
        // torch: leaky_relu_backward is `x > 0 ? g : g * negative_slope`.
        let r = try run({ leakyRelu($0, negativeSlope: 0.2) }, [0, -2, 3] as [Double])
        #expect(r.y == [0, -0.4, 3])
        #expect(r.dx == [0.2, 0.2, 1])
        let d = try run({ leakyRelu($0) }, [-1, 0] as [Float])
        #expect(d.y == [-0.01, 0])
        #expect(d.dx == [0.01, 0.01])
    }

    @Test func maximumAndMinimumSplitTiesEvenly() throws {
        let a = Tensor(NDArray<Double>(shape: [4], data: [1, 2, 3, 5]), requiresGrad: true)
        let b = Tensor(NDArray<Double>(shape: [4], data: [1, 1, 3, 7]), requiresGrad: true)
        let hi = maximum(a, b)
        #expect(hi.scalars == [1, 2, 3, 7])
        try hi.backward(seed: NDArray(repeating: 3, shape: [4]))
        #expect(a.grad?.data == [1.5, 3, 1.5, 0])
        #expect(b.grad?.data == [1.5, 0, 1.5, 3])

        a.zeroGrad()
        b.zeroGrad()
        let lo = minimum(a, b)
        #expect(lo.scalars == [1, 1, 3, 5])
        try lo.backward(seed: NDArray(repeating: 3, shape: [4]))
        #expect(a.grad?.data == [1.5, 0, 1.5, 3])
        #expect(b.grad?.data == [1.5, 3, 1.5, 0])
    }

    @Test func aBroadcastTieCollectsEveryHalf() throws {
        let a = Tensor(NDArray<Float>(shape: [3], data: [1, 1, 0]), requiresGrad: true)
        let b = Tensor(NDArray<Float>(scalar: 1), requiresGrad: true)
        try maximum(a, b).backward(seed: NDArray(repeating: 1, shape: [3]))
        #expect(a.grad?.data == [0.5, 0.5, 0])
        #expect(b.grad?.data == [2])
    }

    @Test func maximumAndMinimumPropagateNaN() throws {
        // torch.maximum([nan, 1], [1, nan]) = [nan, nan], and both inputs get g: neither
        // `a == b` nor `a < b` nor `a > b` holds.
        for op in [maximum, minimum] as [(Tensor<Double>, Tensor<Double>) -> Tensor<Double>] {
            let a = Tensor(NDArray<Double>(shape: [2], data: [.nan, 1]), requiresGrad: true)
            let b = Tensor(NDArray<Double>(shape: [2], data: [1, .nan]), requiresGrad: true)
            let y = op(a, b)
            #expect(y.scalars.allSatisfy { $0.isNaN })
            try y.backward(seed: NDArray(repeating: 1, shape: [2]))
            #expect(a.grad?.data == [1, 1])
            #expect(b.grad?.data == [1, 1])
        }
    }

    @Test func logOfZeroIsMinusInfinityWithInfiniteGradient() throws {
        let r = try run({ $0.log() }, [0, -0.0] as [Float], upstream: 2)
        #expect(r.y == [-.infinity, -.infinity])
        // torch: log_backward is g / x, so +inf at +0 and -inf at -0.
        #expect(r.dx == [.infinity, -.infinity])
        let d = try run({ $0.log() }, [0, -1] as [Double])
        #expect(d.y[0] == -.infinity && d.y[1].isNaN)
        #expect(d.dx == [.infinity, -1])
    }

    @Test func sqrtOfZeroHasInfiniteGradient() throws {
        let r = try run({ $0.sqrt() }, [0, 4] as [Double])
        #expect(r.y == [0, 2])
        #expect(r.dx == [.infinity, 0.25])
        let f = try run({ $0.sqrt() }, [0] as [Float], upstream: 3)
        #expect(f.y == [0] && f.dx == [.infinity])
    }

    @Test func powFollowsTorchAtZeroAndNegativeBases() throws {
        // torch.pow(a, b) with a, b requiring grad, backward of ones, in float64:
        //   a = [0, 0, 0,   0, 0,  -2, -2,   0,    3]
        //   b = [0, 1, 0.5, 2, -1,  3, 0.5, -0.5,  0]
        let a: [Double] = [0, 0, 0, 0, 0, -2, -2, 0, 3]
        let b: [Double] = [0, 1, 0.5, 2, -1, 3, 0.5, -0.5, 0]
        let ta = Tensor(NDArray(shape: [a.count], data: a), requiresGrad: true)
        let tb = Tensor(NDArray(shape: [b.count], data: b), requiresGrad: true)
        let y = pow(ta, tb)
        try y.backward(seed: NDArray(repeating: 1, shape: y.shape))
        // torch.pow(a, b)
        expectSame(y.scalars, [1, 0, 0, 0, .infinity, -8, .nan, .infinity, 1])
        // a.grad: 0 where b == 0 (pow_backward_self), else b * a^(b-1)
        expectSame(ta.grad!.data, [0, 1, .infinity, 0, -.infinity, 12, .nan, -.infinity, 0])
        // b.grad: 0 where a == 0 and b >= 0 (pow_backward_exponent), else a^b log a
        expectSame(tb.grad!.data, [0, 0, 0, 0, -.infinity, .nan, .nan, -.infinity, Foundation.log(3)])
        // C's pow, not swift-numerics' exp(b log a): integral exponents of negative bases.
        let f = pow(Tensor<Float>(vector([-2, -2, -0.5, -3])), Tensor<Float>(vector([2, -1, 3, 0])))
        #expect(f.scalars == [4, -0.5, -0.125, 1])
    }

    // MARK: Saturation at ±1000, in Float and Double

    static let points: [Double] = [-1000, -30, -1, 0, 1, 30, 1000]

    @Test func saturatedValuesAreExactAndFinite() throws {
        try saturated(Float.self)
        try saturated(Double.self)
    }

    private func saturated<T: Scalar>(_: T.Type) throws {
        let xs: [T] = [-1000, 1000]
        let s = try run(sigmoid, xs)
        #expect(s.y == [0, 1] && s.dx == [0, 0], "sigmoid \(T.self)")
        let p = try run(softplus, xs)
        #expect(p.y == [0, 1000] && p.dx == [0, 1], "softplus \(T.self)")
        let t = try run(tanh, xs)
        #expect(t.y == [-1, 1] && t.dx == [0, 0], "tanh \(T.self)")
        for mode in GELUApproximation.allCases {
            let g = try run({ gelu($0, approximate: mode) }, xs)
            #expect(g.y == [0, 1000] && g.dx == [0, 1], "gelu \(mode) \(T.self)")
        }
        for r in [s, p, t] { #expect((r.y + r.dx).allSatisfy { $0.isFinite }) }
    }

    /// The functions written out again from their definitions, in Double.
    typealias Reference = (
        name: String, apply: (Tensor<Double>) -> Tensor<Double>, f: (Double) -> Double, df: (Double) -> Double
    )

    static var reference: [Reference] { [
        ("sigmoid", sigmoid, { 1 / (1 + Foundation.exp(-$0)) },
         { let s = 1 / (1 + Foundation.exp(-$0)); return s * (1 - s) }),
        ("tanh", tanh, { Foundation.tanh($0) }, { 1 - Foundation.tanh($0) * Foundation.tanh($0) }),
        ("softplus", softplus, { $0 > 20 ? $0 : Foundation.log1p(Foundation.exp($0)) },
         { $0 > 20 ? 1 : 1 / (1 + Foundation.exp(-$0)) }),
        ("gelu", { gelu($0) }, { 0.5 * $0 * (1 + Foundation.erf($0 / 2.0.squareRoot())) },
         { x in
             0.5 * (1 + Foundation.erf(x / 2.0.squareRoot()))
                 + x * Foundation.exp(-x * x / 2) / (2 * Double.pi).squareRoot()
         }),
        ("gelu_tanh", { gelu($0, approximate: .tanh) },
         { x in 0.5 * x * (1 + Foundation.tanh((2 / Double.pi).squareRoot() * (x + 0.044715 * x * x * x))) },
         { x in
             let c = (2 / Double.pi).squareRoot()
             let t = Foundation.tanh(c * (x + 0.044715 * x * x * x))
             return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * c * (1 + 3 * 0.044715 * x * x)
         }),
    ] }

    @Test func activationsMatchTheirDefinitions() throws {
        for r in Self.reference {
            let d = try run(r.apply, Self.points)
            let want = (Self.points.map(r.f), Self.points.map(r.df))
            expectClose(vector(d.y), vector(want.0), rtol: 1e-12, atol: 1e-300, "\(r.name) Double")
            expectClose(vector(d.dx), vector(want.1), rtol: 1e-12, atol: 1e-300, "\(r.name)' Double")

            let f = try run(floatTwin(r.name), Self.points.map(Float.init))
            expectClose(vector(f.y), vector(want.0.map(Float.init)), rtol: 1e-5, atol: 1e-30, "\(r.name) Float")
            // σ' comes from the output, and Float rounds σ(30) = 1 - 9e-14 to 1, so the
            // Float gradient there is 0 (as torch's float32): compare with σ(1 - σ) of the
            // rounded σ.
            let floatDf = r.name == "sigmoid"
                ? Self.points.map { x -> Float in let s = Float(r.f(x)); return s * (1 - s) }
                : want.1.map(Float.init)
            expectClose(vector(f.dx), vector(floatDf), rtol: 1e-5, atol: 1e-30, "\(r.name)' Float")
        }
    }

    /// PyTorch 2.15's values at x = [-1000, -30, -1, 0, 1, 30, 1000], from
    /// `x = torch.tensor(points, dtype=dt, requires_grad=True); y = f(x);
    /// y.backward(torch.ones_like(y))`, with f one of torch.sigmoid, torch.tanh,
    /// F.softplus, F.gelu, F.gelu(approximate='tanh'), printed with repr.
    static let torchFloat32: [String: (y: [Float], dx: [Float])] = [
        "sigmoid": ([0.0, 9.357623589846195e-14, 0.2689414322376251, 0.5, 0.7310585975646973, 1.0, 1.0],
                    [0.0, 9.357623589846195e-14, 0.1966119408607483, 0.25, 0.1966119259595871, 0.0, 0.0]),
        "tanh": ([-1.0, -1.0, -0.7615941762924194, 0.0, 0.7615941762924194, 1.0, 1.0],
                 [0.0, 0.0, 0.41997429728507996, 1.0, 0.41997429728507996, 0.0, 0.0]),
        "softplus": ([0.0, 9.357622912219837e-14, 0.3132616877555847, 0.6931471824645996, 1.31326162815094, 30.0, 1000.0],
                     [0.0, 9.357622912219837e-14, 0.2689414322376251, 0.5, 0.7310585975646973, 1.0, 1.0]),
        "gelu": ([-0.0, -0.0, -0.15865525603294373, 0.0, 0.8413447141647339, 30.0, 1000.0],
                 [0.0, 0.0, -0.08331543207168579, 0.5, 1.083315372467041, 1.0, 1.0]),
        "gelu_tanh": ([-0.0, -0.0, -0.15880799293518066, 0.0, 0.8411920070648193, 30.0, 1000.0],
                      [0.0, 0.0, -0.08296409249305725, 0.5, 1.0829640626907349, 1.0, 1.0]),
    ]

    /// As `torchFloat32`, with dtype=torch.float64.
    static let torchFloat64: [String: (y: [Double], dx: [Double])] = [
        "sigmoid": ([0.0, 9.357622968839299e-14, 0.2689414213699951, 0.5, 0.7310585786300049, 0.9999999999999065, 1.0],
                    [0.0, 9.357622968838423e-14, 0.19661193324148185, 0.25, 0.19661193324148185, 9.348077867342945e-14, 0.0]),
        "tanh": ([-1.0, -1.0, -0.7615941559557649, 0.0, 0.7615941559557649, 1.0, 1.0],
                 [0.0, 0.0, 0.41997434161402614, 1.0, 0.41997434161402614, 0.0, 0.0]),
        "softplus": ([0.0, 9.357622968839737e-14, 0.31326168751822286, 0.6931471805599453, 1.3132616875182228, 30.0, 1000.0],
                     [0.0, 9.3576229688393e-14, 0.2689414213699951, 0.5, 0.7310585786300049, 1.0, 1.0]),
        "gelu": ([-0.0, -0.0, -0.15865525393145702, 0.0, 0.841344746068543, 30.0, 1000.0],
                 [0.0, -4.420938404635643e-195, -0.08331547058768635, 0.5, 1.0833154705876864, 1.0, 1.0]),
        "gelu_tanh": ([-0.0, -0.0, -0.15880800939172324, 0.0, 0.8411919906082768, 30.0, 1000.0],
                      [0.0, 0.0, -0.08296408384578252, 0.5, 1.0829640838457826, 1.0, 1.0]),
    ]

    @Test func activationsMatchPyTorch() throws {
        for (name, want) in Self.torchFloat32 {
            let r = try run(floatTwin(name), Self.points.map(Float.init))
            expectClose(vector(r.y), vector(want.y), rtol: 1e-6, atol: 1e-30, "\(name) float32")
            expectClose(vector(r.dx), vector(want.dx), rtol: 1e-6, atol: 1e-30, "\(name)' float32")
        }
        for (name, want) in Self.torchFloat64 {
            let r = try run(Self.reference.first { $0.name == name }!.apply, Self.points)
            expectClose(vector(r.y), vector(want.y), rtol: 1e-13, atol: 1e-300, "\(name) float64")
            expectClose(vector(r.dx), vector(want.dx), rtol: 1e-13, atol: 1e-300, "\(name)' float64")
        }
    }

    @Test func modulesApplyTheirOps() throws {
        let x = Tensor<Float>(NDArray(shape: [3], data: [-2, 0, 2]))
        #expect(ReLU<Float>()(x).scalars == relu(x).scalars)
        #expect(Sigmoid<Float>()(x).scalars == sigmoid(x).scalars)
        #expect(Tanh<Float>()(x).scalars == tanh(x).scalars)
        #expect(GELU<Float>(approximate: .tanh)(x).scalars == gelu(x, approximate: .tanh).scalars)
        #expect(LeakyReLU<Float>(negativeSlope: 0.5)(x).scalars == [-1, 0, 2])
        #expect(Softplus<Float>()(x).scalars == softplus(x).scalars)
        #expect(ReLU<Float>().parameters.isEmpty && GELU<Float>().parameters.isEmpty)
    }
}

/// The Float version of a reference activation, by name.
private func floatTwin(_ name: String) -> (Tensor<Float>) -> Tensor<Float> {
    switch name {
    case "sigmoid": sigmoid
    case "tanh": tanh
    case "softplus": softplus
    case "gelu": { gelu($0) }
    default: { gelu($0, approximate: .tanh) }
    }
}

/// Values and gradients of `f` at `xs`, a rank-1 leaf, after a backward pass seeded with
/// `upstream` everywhere.
private func run<T: Scalar>(
    _ f: (Tensor<T>) -> Tensor<T>, _ xs: [T], upstream: T = 1
) throws -> (y: [T], dx: [T]) {
    let x = Tensor(NDArray(shape: [xs.count], data: xs), requiresGrad: true)
    let y = f(x)
    try y.backward(seed: NDArray(repeating: upstream, shape: y.shape))
    return (y.scalars, x.gradOrZeros.data)
}

/// A rank-1 array.
private func vector<T: Scalar>(_ xs: [T]) -> NDArray<T> { NDArray(shape: [xs.count], data: xs) }

/// Elementwise equality where NaN equals NaN.
private func expectSame<T: Scalar>(
    _ actual: [T], _ expected: [T], sourceLocation: SourceLocation = #_sourceLocation
) {
    let same = actual.count == expected.count
        && zip(actual, expected).allSatisfy { $0 == $1 || ($0.isNaN && $1.isNaN) }
    #expect(same, "got \(actual), expected \(expected)", sourceLocation: sourceLocation)
}

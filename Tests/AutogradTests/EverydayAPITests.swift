import Autograd
import Testing

/// The everyday API of issue 22: creation with seeds, item, differentiable subscripts,
/// max/min/argmax, Float <-> Double, [Int] labels, both forms of every unary op, printing,
/// Linear(W:) leaving the caller's tensor alone.
@Suite struct EverydayAPITests {
    /// Central differences of `f`'s sum-with-`v` against its backward pass, in float64.
    static func checkGradient(
        _ point: NDArray<Double>, seed: UInt64 = 5, sourceLocation: SourceLocation = #_sourceLocation,
        _ f: (Tensor<Double>) -> Tensor<Double>
    ) throws {
        let x = Tensor(point, requiresGrad: true)
        let y = f(x)
        let v = randomArray(y.shape, in: -1...1, seed: seed)
        try y.backward(seed: v)
        let grad = try #require(x.grad, sourceLocation: sourceLocation)
        let eps = 1e-6
        for i in 0..<point.count {
            var up = point, down = point
            up.data[i] += eps
            down.data[i] -= eps
            let fu = f(Tensor(up)).scalars, fd = f(Tensor(down)).scalars
            let numeric = zip(zip(fu, fd), v.data).reduce(0) { $0 + ($1.0.0 - $1.0.1) / (2 * eps) * $1.1 }
            #expect(Swift.abs(numeric - grad.data[i]) <= 1e-5 + 1e-3 * Swift.abs(numeric), "element \(i)", sourceLocation: sourceLocation)
        }
    }

    @Test func creation() {
        #expect(Tensor<Float>.zeros([2, 3]).value == NDArray(repeating: 0, shape: [2, 3]))
        #expect(Tensor<Double>.ones([2]).scalars == [1, 1])
        let f = Tensor<Float>.full([], 7, requiresGrad: true)
        #expect(f.shape == [] && f.scalars == [7] && f.requiresGrad)
        #expect(Tensor<Float>.zeros([0, 4]).count == 0)
        // Seeds fix the values; different seeds differ.
        #expect(Tensor<Double>.randn([3, 4], seed: 1).value == Tensor<Double>.randn([3, 4], seed: 1).value)
        #expect(Tensor<Double>.randn([3, 4], seed: 1).value != Tensor<Double>.randn([3, 4], seed: 2).value)
        #expect(Tensor<Float>.uniform([5], seed: 3).value == Tensor<Float>.uniform([5], seed: 3).value)
        // The distributions: 20,000 draws, the mean and spread within 4 standard errors.
        let n = Tensor<Double>.randn([20_000], seed: 9).scalars
        let mean = n.reduce(0, +) / Double(n.count)
        let variance = n.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(n.count - 1)
        let standardError: Double = 1 / Double(20_000).squareRoot()
        #expect(Swift.abs(mean) < 4 * standardError)
        #expect(Swift.abs(variance - 1) < 4 * 0.01)
        let u = Tensor<Double>.uniform([20_000], in: -2..<6, seed: 9).scalars
        #expect(u.allSatisfy { $0 >= -2 && $0 < 6 })
        let uniformMean: Double = u.reduce(0, +) / Double(u.count)
        let uniformError: Double = 8 / Double(12).squareRoot() / Double(20_000).squareRoot()
        #expect(Swift.abs(uniformMean - 2) < 4 * uniformError)
        // Embedding draws its table with the same formula.
        #expect(Embedding<Float>(count: 3, dimension: 2, seed: 4).weight.value == Tensor<Float>.randn([3, 2], seed: 4).value)
    }

    @Test func item() {
        #expect(Tensor<Float>(2.5).item() == 2.5)
        #expect(Tensor<Double>([[4]]).item() == 4)
        #expect(Tensor<Double>([1, 2, 3]).square().sum().item() == 14)
    }

    @Test func subscriptsIndexAsNumPy() {
        // x = arange(24).reshape(2, 3, 4), as in numpy.
        let x = Tensor<Double>(shape: [2, 3, 4], scalars: (0..<24).map(Double.init))
        #expect(x[1].shape == [3, 4] && x[1].scalars == (12..<24).map(Double.init))
        #expect(x[-1, 0].scalars == [12, 13, 14, 15])
        #expect(x[0, 1, 2].shape == [] && x[0, 1, 2].item() == 6)
        #expect(x[0..<1].shape == [1, 3, 4])
        #expect(x[0, 1...].scalars == (4..<12).map(Double.init))
        #expect(x[0, ..<1, 1...2].scalars == [1, 2])
        #expect(x[0, -2...(-1), 3].scalars == [7, 11])
        #expect(x[.all, 1].shape == [2, 4] && x[.all, 1].scalars == [4, 5, 6, 7, 16, 17, 18, 19])
        #expect(x[.ellipsis, 0].shape == [2, 3] && x[.ellipsis, 0].scalars == [0, 4, 8, 12, 16, 20])
        #expect(x[.ellipsis, 1, .all].scalars == x[.all, 1].scalars)
        #expect(x[.newAxis].shape == [1, 2, 3, 4])
        #expect(x[0, .newAxis, 2].shape == [1, 4])
        #expect(x[.all, .slice(nil, nil, step: 2), -1].scalars == [3, 11, 15, 23])
        #expect(x[1, .slice(-10, 10)].shape == [3, 4], "Python clamps slice bounds")
    }

    @Test func subscriptsAreDifferentiable() throws {
        let point = randomArray([3, 4], seed: 11)
        try Self.checkGradient(point) { $0[1] * $0[-1] }
        try Self.checkGradient(point) { $0[.all, 1...2].exp() }
        try Self.checkGradient(point) { ($0[.ellipsis, .slice(nil, nil, step: 2)] * $0[0..<3, 0, .newAxis]).tanh() }
        // The gradient of a picked element lands on it alone.
        let x = Tensor<Double>([[1, 2], [3, 4]], requiresGrad: true)
        try (x[1, 0] * 10).backward()
        #expect(x.grad?.data == [0, 0, 10, 0])
    }

    @Test func maxMinArgmax() throws {
        let x = Tensor<Double>([[1, 5, 2], [7, 0, 7]], requiresGrad: true)
        #expect(x.max().item() == 7 && x.min().item() == 0)
        #expect(x.max(axis: 1).scalars == [5, 7] && x.min(axis: 0).scalars == [1, 0, 2])
        #expect(x.max(axis: -1, keepdims: true).shape == [2, 1])
        #expect(x.argmax() == 3 && x.argmin() == 4)
        #expect(x.argmax(axis: 1).scalars == [1, 0])
        try x.max().backward()
        #expect(x.grad?.data == [0, 0, 0, 0.5, 0, 0.5], "tied maxima share the gradient, as torch.amax")
        try Self.checkGradient(randomArray([3, 4], seed: 12)) { $0.max(axis: 0) * $0.min(axis: 0) }
    }

    @Test func dtypeConversionIsDifferentiable() throws {
        let x = Tensor<Float>([0.5, -1, 2], requiresGrad: true)
        let d = x.to(Double.self)
        #expect(d.dtype == .float64 && d.scalars == [0.5, -1, 2] && d.requiresGrad)
        #expect(x.to(Float.self) === x)
        // loss = sum(exp(double(x)) * double(x)): d/dx = exp(x) (1 + x), back in Float.
        let loss = (d.exp() * d).sum()
        try loss.backward()
        let expected = [0.5, -1, 2].map { Float(Double.exp($0) * (1 + $0)) }
        #expect(x.grad?.data == expected)
        // And the other way, with a second path through the same Double tensor.
        let y = Tensor<Double>([1.5, 2], requiresGrad: true)
        let z = (y.to(Float.self) * y.to(Float.self).to(Double.self).to(Float.self)).sum()
        try z.backward()
        #expect(y.grad?.data == [3, 4])
        // Not recorded under noGrad nor for a tensor that needs no gradient.
        #expect(noGrad { x.to(Double.self) }.op == nil)
        #expect(Tensor<Float>([1]).to(Double.self).op == nil)
        // Through a Float stretch, d/dw [sin(r(w)) w] = cos(r(w)) w + sin(r(w)), r rounding to
        // Float (whose derivative is 1, as torch's), the first term carried in Float.
        let w = Tensor(randomArray([4], seed: 13), requiresGrad: true)
        let r = w.to(Float.self).to(Double.self)
        try (r.sin() * w).sum().backward()
        let rounded = w.scalars.map { Double(Float($0)) }
        let analytic = zip(rounded, w.scalars).map { Double.cos($0) * $1 + Double.sin($0) }
        expectClose(try #require(w.grad), NDArray(analytic), rtol: 1e-6, atol: 1e-7, "float32 precision on the Float path")
    }

    @Test func integerLabels() throws {
        let logits = Tensor<Float>([[2, 0.5, -1], [0, 1, 3]])
        #expect(crossEntropy(logits, [0, 2]).value == crossEntropy(logits, Tensor<Float>([0, 2])).value)
        #expect(nllLoss(logits.logSoftmax(), [1, 1], reduction: .sum).value
                == nllLoss(logits.logSoftmax(), Tensor<Float>([1, 1]), reduction: .sum).value)
        #expect(Tensor<Double>.labels([3, 0]).scalars == [3, 0])
    }

    @Test func everyUnaryOpHasBothForms() {
        let x = Tensor<Double>([-1.5, 0.25, 2])
        let pairs: [(String, Tensor<Double>, Tensor<Double>)] = [
            ("exp", x.exp(), exp(x)), ("log", x.abs().log(), log(abs(x))), ("sqrt", x.abs().sqrt(), sqrt(abs(x))),
            ("relu", x.relu(), relu(x)), ("sigmoid", x.sigmoid(), sigmoid(x)), ("tanh", x.tanh(), tanh(x)),
            ("gelu", x.gelu(approximate: .tanh), gelu(x, approximate: .tanh)),
            ("leakyRelu", x.leakyRelu(negativeSlope: 0.2), leakyRelu(x, negativeSlope: 0.2)),
            ("softplus", x.softplus(), softplus(x)), ("softmax", x.softmax(), softmax(x)),
            ("logSoftmax", x.logSoftmax(), logSoftmax(x)), ("sin", x.sin(), sin(x)), ("square", x.square(), square(x)),
        ]
        for (name, method, function) in pairs {
            #expect(method.value == function.value, "\(name)")
        }
        #expect(x.relu().scalars == [0, 0.25, 2])
        #expect(x.leakyRelu(negativeSlope: 0.2).scalars == [-1.5 * 0.2, 0.25, 2])
    }

    @Test func printingShowsShapeAndDtypeAndSummarises() {
        #expect(Tensor<Float>([[1, 2], [3, 4]], requiresGrad: true).description
                == "Tensor([[1.0, 2.0], [3.0, 4.0]], shape: [2, 2], dtype: float32, requiresGrad: true)")
        #expect(Tensor<Double>(3).description == "Tensor(3.0, shape: [], dtype: float64)")
        // NumPy's threshold: 1,000 elements print whole, 1,001 are summarised with 3 edge items.
        #expect(Tensor<Float>.zeros([1000]).value.description.count == 1000 * 5 - 2 + 2)
        let long = Tensor<Double>((0...1000).map(Double.init))
        #expect(long.value.description == "[0.0, 1.0, 2.0, ..., 998.0, 999.0, 1000.0]")
        let square = Tensor<Float>.zeros([100, 100])
        let row = "[0.0, 0.0, 0.0, ..., 0.0, 0.0, 0.0]"
        #expect(square.description == "Tensor([\([String](repeating: row, count: 3).joined(separator: ", ")), ..., "
                + "\([String](repeating: row, count: 3).joined(separator: ", "))], shape: [100, 100], dtype: float32)")
        // An axis of 6 or fewer is never cut.
        #expect(Tensor<Float>.zeros([2000, 6]).value.description.hasPrefix("[[0.0, 0.0, 0.0, 0.0, 0.0, 0.0], "))
    }

    @Test func linearLeavesTheCallersTensorAlone() throws {
        let W = Tensor<Float>([[0.1, 0.2], [0.3, 0.4]])
        let layer = Linear(W: W)
        #expect(!W.requiresGrad && layer.W.requiresGrad && layer.W !== W)
        try layer(Tensor([[1, 2]])).sum().backward()
        #expect(W.grad == nil && layer.W.grad != nil)
        let table = Tensor<Double>([[1, 2]], requiresGrad: false)
        #expect(Embedding(weight: table).weight.requiresGrad && !table.requiresGrad)
    }
}

import Autograd
import Foundation
import Testing

/// Derivatives beyond the first against PyTorch (issue 12): `jvp` and `hvp` of four small
/// networks and two `grad(of:wrt:createGraph: true)` losses (a gradient penalty, and a
/// physics-informed loss of u_xx differentiated wrt the weights, third order), as
/// `torch.autograd.functional.jvp` / `hvp` and `torch.autograd.grad(create_graph=True)`
/// compute them. Tests/Fixtures/gen_higher.py writes Tests/Fixtures/higher/higher.json and
/// describes each model; they are rebuilt here with the library's ops.
@Suite struct HigherOrderFixtureTests {
    static let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fixtures/higher/higher.json")

    struct Stored: Decodable {
        let shape: [Int]
        let data: [Double]
        func array<T: Scalar>(_: T.Type = T.self) -> NDArray<T> { NDArray(shape: shape, data: data.map { T($0) }) }
    }

    struct JVP: Decodable {
        let wrt: [String]
        let tangents: [String: Stored]
        let output: Stored
        let tangent: Stored
    }

    struct HVP: Decodable {
        let wrt: [String]
        let vectors: [String: Stored]
        let loss: Stored
        let hvp: [String: Stored]
    }

    struct Grad: Decodable {
        let wrt: [String]
        let values: [String: Stored]
        let grads: [String: Stored]
    }

    struct Case: Decodable, CustomTestStringConvertible {
        let name: String
        let model: String
        let dtype: String
        let inputs: [String: Stored]
        let jvp: JVP?
        let hvp: HVP?
        let grad: Grad?
        let rtol: Double
        let atol: Double
        var testDescription: String { name }
    }

    struct Fixture: Decodable {
        let cases: [Case]
    }

    static func load() throws -> Fixture { try JSONDecoder().decode(Fixture.self, from: Data(contentsOf: path)) }

    static let cases: [Case] = (try? load())?.cases ?? []

    static let models = ["mlp_relu_ce", "mlp_tanh_mse", "cnn_ce", "attention_mse", "gradient_penalty", "pinn_poisson"]

    @Test func theFixtureHoldsEveryModelInBothDtypes() throws {
        let names = Set(try Self.load().cases.map(\.name))
        #expect(names == Set(Self.models.flatMap { ["\($0)/float64", "\($0)/float32"] }))
    }

    @Test(arguments: cases.filter { $0.jvp != nil })
    func jvpMatchesPyTorch(_ c: Case) throws {
        if c.dtype == "float32" { try Self.checkJVP(c, Float.self) } else { try Self.checkJVP(c, Double.self) }
    }

    @Test(arguments: cases.filter { $0.hvp != nil })
    func hvpMatchesPyTorch(_ c: Case) throws {
        if c.dtype == "float32" { try Self.checkHVP(c, Float.self) } else { try Self.checkHVP(c, Double.self) }
    }

    @Test(arguments: cases.filter { $0.grad != nil })
    func createGraphGradMatchesPyTorch(_ c: Case) throws {
        if c.dtype == "float32" { try Self.checkGrad(c, Float.self) } else { try Self.checkGrad(c, Double.self) }
    }

    // MARK: the models, as gen_higher.py builds them in torch

    /// The network's output (before the loss) of `model` over the named tensors.
    static func network<T: Scalar>(_ model: String, _ t: [String: Tensor<T>]) throws -> Tensor<T> {
        func p(_ name: String) throws -> Tensor<T> {
            guard let v = t[name] else { throw FixtureError.missing(name) }
            return v
        }
        switch model {
        case "mlp_relu_ce":
            let h1 = relu(linear(try p("x"), try p("W1"), try p("b1")))
            let h2 = relu(linear(h1, try p("W2"), try p("b2")))
            return linear(h2, try p("W3"), try p("b3"))
        case "mlp_tanh_mse":
            let h1 = tanh(linear(try p("x"), try p("W1"), try p("b1")))
            let h2 = tanh(linear(h1, try p("W2"), try p("b2")))
            return linear(h2, try p("W3"), try p("b3"))
        case "cnn_ce":
            let x = try p("x")
            let h = maxPool2d(relu(conv2d(x, try p("w1"), bias: try p("b1"), padding: .explicit([1]))), kernelSize: [2])
            return linear(h.reshaped([x.shape[0], 27]), try p("W2"), try p("b2"))
        case "attention_mse":
            let x = try p("x")
            let (b, s, d, heads) = (x.shape[0], x.shape[1], x.shape[2], 2)
            func split(_ y: Tensor<T>) -> Tensor<T> { y.reshaped([b, s, heads, d / heads]).transposed([0, 2, 1, 3]) }
            let a = layerNorm(x, normalizedShape: [d], weight: try p("ln_w"), bias: try p("ln_b"))
            let o = scaledDotProductAttention(
                split(linear(a, try p("Wq"), try p("bq"))), split(linear(a, try p("Wk"), try p("bk"))),
                split(linear(a, try p("Wv"), try p("bv"))), isCausal: true)
            return x + linear(o.transposed([0, 2, 1, 3]).reshaped([b, s, d]), try p("Wo"), try p("bo"))
        default:
            throw FixtureError.unknownModel(model)
        }
    }

    static func loss<T: Scalar>(_ model: String, _ t: [String: Tensor<T>], _ out: Tensor<T>) throws -> Tensor<T> {
        switch model {
        case "mlp_relu_ce", "cnn_ce":
            guard let labels = t["labels"] else { throw FixtureError.missing("labels") }
            return crossEntropy(out, labels)
        case "mlp_tanh_mse", "attention_mse":
            guard let target = t["target"] else { throw FixtureError.missing("target") }
            return mseLoss(out, target)
        default:
            throw FixtureError.unknownModel(model)
        }
    }

    enum FixtureError: Error { case missing(String), unknownModel(String) }

    static func constants<T: Scalar>(_ c: Case, _: T.Type) -> [String: Tensor<T>] {
        c.inputs.mapValues { Tensor($0.array(T.self)) }
    }

    static func tolerance<T: Scalar>(_ c: Case, _: T.Type) -> (rtol: T, atol: T) { (T(c.rtol), T(c.atol)) }

    // MARK: checks

    static func checkJVP<T: Scalar>(_ c: Case, _: T.Type) throws {
        guard let spec = c.jvp else { return }
        let fixed = constants(c, T.self)
        let (rtol, atol) = tolerance(c, T.self)
        let at = try spec.wrt.map { name in
            guard let v = c.inputs[name] else { throw FixtureError.missing(name) }
            return v.array(T.self)
        }
        let tangents = try spec.wrt.map { name in
            guard let v = spec.tangents[name] else { throw FixtureError.missing(name) }
            return v.array(T.self)
        }
        let (y, t) = try jvp({ leaves in
            try network(c.model, fixed.merging(zip(spec.wrt, leaves)) { $1 })
        }, at: at, tangents: tangents)
        expectClose(y, spec.output.array(T.self), rtol: rtol, atol: atol, "\(c.name): output")
        expectClose(t, spec.tangent.array(T.self), rtol: rtol, atol: atol, "\(c.name): tangent")
    }

    static func checkHVP<T: Scalar>(_ c: Case, _: T.Type) throws {
        guard let spec = c.hvp else { return }
        let fixed = constants(c, T.self)
        let (rtol, atol) = tolerance(c, T.self)
        let at = try spec.wrt.map { name in
            guard let v = c.inputs[name] else { throw FixtureError.missing(name) }
            return v.array(T.self)
        }
        let vectors = try spec.wrt.map { name in
            guard let v = spec.vectors[name] else { throw FixtureError.missing(name) }
            return v.array(T.self)
        }
        let (f, hv) = try hvp({ leaves in
            let t = fixed.merging(zip(spec.wrt, leaves)) { $1 }
            return try loss(c.model, t, try network(c.model, t))
        }, at: at, vectors: vectors)
        expectClose(f, spec.loss.array(T.self), rtol: rtol, atol: atol, "\(c.name): loss")
        #expect(hv.count == spec.wrt.count)
        for (name, h) in zip(spec.wrt, hv) {
            guard let expected = spec.hvp[name] else { throw FixtureError.missing(name) }
            expectClose(h, expected.array(T.self), rtol: rtol, atol: atol, "\(c.name): hvp \(name)")
        }
    }

    static func checkGrad<T: Scalar>(_ c: Case, _: T.Type) throws {
        guard let spec = c.grad else { return }
        let (rtol, atol) = tolerance(c, T.self)
        let t = constants(c, T.self)
        for name in spec.wrt { t[name]?.requiresGrad = true }
        func p(_ name: String) throws -> Tensor<T> {
            guard let v = t[name] else { throw FixtureError.missing(name) }
            return v
        }
        let x = try p("x")
        x.requiresGrad = true
        var values: [String: Tensor<T>] = [:]
        let final: Tensor<T>
        switch c.model {
        case "gradient_penalty":
            // D(x) = linear(tanh(linear(x))); the penalty is the batch mean of |∇ₓD|².
            let d = linear(tanh(linear(x, try p("W1"), try p("b1"))), try p("W2"), try p("b2"))
            let g = try grad(of: d.sum(), wrt: [x], createGraph: true)[0]
            #expect(g.requiresGrad, "\(c.name): a create-graph gradient is recorded")
            let penalty = (g * g).sum(axes: [1]).mean()
            values = ["g": g, "penalty": penalty]
            final = penalty
        case "pinn_poisson":
            // u(x) a tanh MLP; the loss is mean((u_xx - rhs)²), whose weight gradient is a
            // third derivative.
            let h1 = tanh(linear(x, try p("W1"), try p("b1")))
            let u = linear(tanh(linear(h1, try p("W2"), try p("b2"))), try p("W3"), try p("b3"))
            let ux = try grad(of: u.sum(), wrt: [x], createGraph: true)[0]
            let uxx = try grad(of: ux.sum(), wrt: [x], createGraph: true)[0]
            let r = uxx - (try p("rhs"))
            let loss = (r * r).mean()
            values = ["u_x": ux, "u_xx": uxx, "loss": loss]
            final = loss
        default:
            throw FixtureError.unknownModel(c.model)
        }
        #expect(Set(values.keys) == Set(spec.values.keys), "\(c.name): intermediate values")
        for (name, expected) in spec.values {
            guard let v = values[name] else { continue }
            expectClose(v.value, expected.array(T.self), rtol: rtol, atol: atol, "\(c.name): \(name)")
        }
        let grads = try grad(of: final, wrt: try spec.wrt.map(p))
        for (name, g) in zip(spec.wrt, grads) {
            guard let expected = spec.grads[name] else { throw FixtureError.missing(name) }
            expectClose(g.value, expected.array(T.self), rtol: rtol, atol: atol, "\(c.name): d/d\(name)")
        }
        let w1 = try p("W1")
        #expect(x.grad == nil && w1.grad == nil, "\(c.name): grad(of:wrt:) accumulates into no leaf")
    }
}

/// The create-graph pass differentiates only what leads to the tensors asked for, as
/// torch's engine does for `autograd.grad`'s inputs.
@Suite struct CreateGraphPruningTests {
    @Test func aBranchThatLeadsToNoTargetIsNotDifferentiated() throws {
        let x = Tensor<Double>(NDArray(shape: [2], data: [1, 2]), requiresGrad: true)
        let w = Tensor<Double>(NDArray(shape: [2], data: [3, -1]), requiresGrad: true)
        // w reaches y only through an op with a first-order vjp alone.
        let y = try Tensor.apply(Sum(), [try Tensor.apply(Mul(), [try Tensor.apply(FirstOrderOnly(), [w]), x])])
        let gx = try grad(of: y, wrt: [x], createGraph: true)[0]
        #expect(gx.scalars == [3, -1])
        let gxx = try grad(of: try Tensor.apply(Sum(), [try Tensor.apply(Mul(), [gx, x])]), wrt: [x])[0]
        #expect(gxx.scalars == [3, -1])
        #expect(throws: AutogradError.notTwiceDifferentiable(function: "FirstOrderOnlyBackward")) {
            try grad(of: y, wrt: [w], createGraph: true)
        }
        // backward(createGraph:) accumulates into every leaf, so it needs w's path too.
        #expect(throws: AutogradError.notTwiceDifferentiable(function: "FirstOrderOnlyBackward")) {
            try y.backward(createGraph: true, wrt: [x])
        }
    }
}

/// The identity, with a first-order vjp only.
private struct FirstOrderOnly: Operator {
    static let signature = OpSignature(name: "first_order_only", arity: .exactly(1), inputs: ["x"], summary: "identity")
    init() {}
    init(attributes: Attributes) {}
    func outputShape(_ inputs: [[Int]]) throws(OpError) -> [Int] { inputs[0] }
    func forward<T: Scalar>(_ inputs: [NDArray<T>]) -> NDArray<T> { inputs[0] }
    func vjp<T: Scalar>(_ grad: NDArray<T>, inputs: [NDArray<T>], output: NDArray<T>, needs: [Bool]) -> [NDArray<T>?] {
        [grad]
    }
}

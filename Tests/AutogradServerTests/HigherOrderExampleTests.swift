import AutogradGraph
import Foundation
import Testing

/// The higher-derivative examples of api/examples (issue 12) over real HTTP: a Newton-CG
/// step from /hvp, a WGAN-GP gradient penalty through the op `grad` and /backward, and a
/// physics-informed network for a 1-D Poisson problem trained through /train.
@Suite("higher-order examples over HTTP", .timeLimit(.minutes(2)))
struct HigherOrderExampleTests {
    // MARK: helpers

    /// `document` with the member at `path` (object keys) replaced by `value`, or removed
    /// when `value` is nil.
    static func setting(_ document: JSONValue, _ path: [String], to value: JSONValue?) -> JSONValue {
        guard let key = path.first, case .object(let object) = document else { return value ?? .null }
        var members = object.members
        if let i = members.firstIndex(where: { $0.key == key }) {
            if path.count == 1, value == nil {
                members.remove(at: i)
            } else {
                members[i].value = setting(members[i].value, Array(path.dropFirst()), to: value)
            }
        } else if let value {
            members.append((key, path.count == 1 ? value : setting(.object(JSONObject([])), Array(path.dropFirst()), to: value)))
        }
        return .object(JSONObject(members))
    }

    static func tensor(_ shape: [Int], _ data: [Double]) -> JSONValue {
        ["shape": .array(shape.map { .number(JSONNumber(value: Double($0), isIntegerLiteral: true)) }),
         "data": .array(data.map { .number(JSONNumber(value: $0, isIntegerLiteral: false)) })]
    }

    static func post(_ port: Int, _ path: String, _ body: JSONValue, timeout: Int = 30) throws -> JSONValue {
        let r = try HTTP.postJSON(port: port, path: path, body: JSONWriter.encode(body), timeoutSeconds: timeout)
        #expect(r.status == 200, "\(path): \(r.bodyText.prefix(400))")
        return try JSONParser.parse(r.body)
    }

    static func numbers(_ v: JSONValue?) -> [Double] { LiveGraphTests.numbers(v) }

    static func dot(_ a: [Double], _ b: [Double]) -> Double { zip(a, b).reduce(0) { $0 + $1.0 * $1.1 } }

    /// x with A x = b, by Gaussian elimination with partial pivoting (A small and regular).
    static func solve(_ a: [[Double]], _ b: [Double]) -> [Double] {
        var m = zip(a, b).map { $0 + [$1] }
        let n = b.count
        for c in 0..<n {
            let p = (c..<n).max { abs(m[$0][c]) < abs(m[$1][c]) } ?? c
            m.swapAt(c, p)
            for r in 0..<n where r != c {
                let f = m[r][c] / m[c][c]
                for k in c...n { m[r][k] -= f * m[c][k] }
            }
        }
        return (0..<n).map { m[$0][n] / m[$0][$0] }
    }

    // MARK: Newton-CG

    @Test func aNewtonCGStepFromHVPMatchesTheClosedFormAndDescends() throws {
        let server = try ServerProcess()
        let request = try JSONParser.parse(try LiveGraphTests.file("api/examples/newton-cg-hvp.json"))
        let rows = (request["tensors"]?["X"]?["data"]?.arrayValue ?? []).map { Self.numbers($0) }
        let y = Self.numbers(request["tensors"]?["y"]?["data"])
        let w0 = Self.numbers(request["tensors"]?["w"]?["data"])
        let lambda = 2 * (Self.numbers(request["tensors"]?["half_lambda"]?["data"]).first ?? 0)
        #expect(rows.count == 64 && y.count == 64 && w0.count == 3 && lambda == 0.1)

        // Closed forms: σ = sigmoid(Xw); g = Xᵀ(σ − y)/N + λw; H = Xᵀ diag(σ(1 − σ)) X / N + λI.
        let n = Double(rows.count), d = w0.count
        let sigma = rows.map { 1 / (1 + exp(-Self.dot($0, w0))) }
        let g = (0..<d).map { j in zip(rows, zip(sigma, y)).reduce(0) { $0 + $1.0[j] * ($1.1.0 - $1.1.1) } / n + lambda * w0[j] }
        let h = (0..<d).map { i in
            (0..<d).map { j in
                zip(rows, sigma).reduce(0) { $0 + $1.0[i] * $1.0[j] * $1.1 * (1 - $1.1) } / n + (i == j ? lambda : 0)
            }
        }

        // The example as it is: the gradient, and H times its vector e₁ (H's first column).
        let first = try Self.post(server.port, "/hvp", request)
        let gradient = Self.numbers(first["gradients"]?["w"]?["data"])
        #expect(gradient.count == 3)
        for (a, b) in zip(gradient, g) { #expect(abs(a - b) < 1e-12) }
        for (a, b) in zip(Self.numbers(first["hvp"]?["w"]?["data"]), h.map { $0[0] }) { #expect(abs(a - b) < 1e-12) }
        let loss0 = Self.numbers(first["outputs"]?["loss"]?["data"]).first ?? .nan
        #expect(abs(loss0 - log(2)) < 1e-12)  // w = 0: every probability is 1/2

        // Conjugate gradients on H p = −g, one /hvp call per product: exact in d steps. The
        // gradient is known, so each call asks for H·v alone ("gradients": []).
        func hessianTimes(_ v: [Double]) throws -> [Double] {
            let body = Self.setting(Self.setting(request, ["vectors", "w"], to: Self.tensor([3], v)), ["gradients"], to: [])
            let answer = try Self.post(server.port, "/hvp", body)
            #expect(answer["gradients"]?.objectValue?.keys == [])
            return Self.numbers(answer["hvp"]?["w"]?["data"])
        }
        var p = [Double](repeating: 0, count: d)
        var r = gradient.map { -$0 }
        var direction = r
        var calls = 0
        while calls < d && Self.dot(r, r) > 1e-24 {
            let hd = try hessianTimes(direction)
            calls += 1
            let alpha = Self.dot(r, r) / Self.dot(direction, hd)
            p = zip(p, direction).map { $0 + alpha * $1 }
            let next = zip(r, hd).map { $0 - alpha * $1 }
            let beta = Self.dot(next, next) / Self.dot(r, r)
            r = next
            direction = zip(r, direction).map { $0 + beta * $1 }
        }
        #expect(calls == 3)
        let newton = Self.solve(h, g.map { -$0 })
        for (a, b) in zip(p, newton) { #expect(abs(a - b) < 1e-9 * max(1, abs(b)), "\(p) vs \(newton)") }

        // The step descends, and the gradient at the new point is far smaller (Newton's
        // quadratic convergence).
        let w1 = zip(w0, p).map { $0 + $1 }
        let moved = Self.setting(Self.setting(request, ["tensors", "w"], to: Self.tensor([3], w1)), ["vectors", "w"], to: Self.tensor([3], [0, 0, 0]))
        let after = try Self.post(server.port, "/hvp", moved)
        let loss1 = Self.numbers(after["outputs"]?["loss"]?["data"]).first ?? .nan
        let g1 = Self.numbers(after["gradients"]?["w"]?["data"])
        #expect(loss1 < loss0 - 0.05, "loss \(loss0) -> \(loss1)")
        #expect(Self.dot(g1, g1).squareRoot() < 0.1 * Self.dot(g, g).squareRoot(), "‖g‖ \(g) -> \(g1)")
    }

    // MARK: gradient penalty

    @Test func aGradientPenaltyIsDifferentiatedThroughItsGradOp() throws {
        let server = try ServerProcess()
        let request = try JSONParser.parse(try LiveGraphTests.file("api/examples/gradient-penalty.json"))
        let answer = try Self.post(server.port, "/backward", request)
        let loss = Self.numbers(answer["outputs"]?["loss"]?["data"]).first ?? .nan
        let penalty = Self.numbers(answer["outputs"]?["penalty"]?["data"]).first ?? .nan
        #expect(loss.isFinite && penalty > 0)
        #expect(answer["gradients"]?.objectValue?.keys == ["W1", "b1", "W2", "b2"])

        // Every gradient entry against a central difference of the loss from /forward
        // (float64; the loss is smooth in the weights: tanh, and a norm away from zero).
        let lossOnly = Self.setting(request, ["outputs"], to: ["loss"])
        func lossAt(_ name: String, _ shape: [Int], _ values: [Double]) throws -> Double {
            let body = Self.setting(lossOnly, ["tensors", name], to: Self.tensor(shape, values))
            return Self.numbers(try Self.post(server.port, "/forward", body)["outputs"]?["loss"]?["data"]).first ?? .nan
        }
        let eps = 1e-6
        var checked = 0
        for name in ["W1", "b1", "W2", "b2"] {
            let given = request["tensors"]?[name]?["data"]
            let values = Self.numbers(given)
            let shape = answer["gradients"]?[name]?["shape"]?.arrayValue?.compactMap { $0.numberValue?.exactInt } ?? []
            let gradient = Self.numbers(answer["gradients"]?[name]?["data"])
            #expect(gradient.count == values.count && !values.isEmpty, "\(name)")
            for k in values.indices {
                var plus = values, minus = values
                plus[k] += eps
                minus[k] -= eps
                let numeric = (try lossAt(name, shape, plus) - lossAt(name, shape, minus)) / (2 * eps)
                #expect(abs(numeric - gradient[k]) < 1e-6 + 1e-6 * abs(numeric), "\(name)[\(k)]: \(gradient[k]) vs \(numeric)")
                checked += 1
            }
        }
        #expect(checked == 33)
    }

    // MARK: Poisson PINN

    /// The stated bounds (docs/higher-order.md): after the example's 1500 Adam steps the
    /// training loss is below 1e-2; at 50 points the network never saw, the mean squared
    /// residual of −u'' = π² sin(πx) is below 2e-2 and u is within 5e-3 of the solution sin(πx).
    @Test func aPoissonPINNTrainedThroughTrainSolvesTheEquation() throws {
        let server = try ServerProcess()
        let request = try JSONParser.parse(try LiveGraphTests.file("api/examples/pinn-poisson-train.json"))
        let trained = try Self.post(server.port, "/train", request, timeout: 100)
        let losses = Self.numbers(trained["losses"])
        #expect(losses.count == 1500)
        #expect((losses.first ?? 0) > 10)
        #expect((losses.last ?? 1) < 1e-2, "final loss \(losses.last ?? .nan)")
        guard case .object(let parameters)? = trained["parameters"] else {
            Issue.record("no parameters")
            return
        }
        #expect(parameters.keys == ["W1", "b1", "W2", "b2"])

        // The trained network at fresh points, through /forward: the same graph.
        let xs = (0..<50).map { (Double($0) + 0.25) / 50 }
        var fresh = Self.setting(Self.setting(request, ["optimizer"], to: nil), ["steps"], to: nil)
        for (name, value) in parameters.members {
            fresh = Self.setting(fresh, ["tensors", name], to: ["data": value["data"] ?? .null])
        }
        fresh = Self.setting(fresh, ["tensors", "x"], to: Self.tensor([50, 1], xs))
        fresh = Self.setting(fresh, ["tensors", "f"], to: Self.tensor([50, 1], xs.map { Double.pi * Double.pi * sin(Double.pi * $0) }))
        fresh = Self.setting(fresh, ["outputs"], to: ["u", "residual"])
        let outputs = try Self.post(server.port, "/forward", fresh)["outputs"]
        let u = Self.numbers(outputs?["u"]?["data"])
        #expect(u.count == 50)
        let error = zip(u, xs).map { abs($0 - sin(Double.pi * $1)) }.max() ?? .infinity
        #expect(error < 5e-3, "max |u - sin(πx)| = \(error)")
        let residual = Self.numbers(outputs?["residual"]?["data"]).first ?? .infinity
        #expect(residual < 2e-2, "residual \(residual)")
    }
}

import Autograd
@testable import AutogradGraph
import Testing

/// POST /jvp, POST /hvp and the op `grad` (issue 12) through the graph service: values
/// against closed forms, and every problem with its status and pointers.
@Suite struct HigherOrderRequestTests {
    /// The service's answer: status and parsed body.
    static func answer(_ endpoint: Endpoint, _ body: String, service: GraphService = GraphService()) throws -> (Int, JSONValue) {
        let r = service.respond(to: endpoint, body: Array(body.utf8))
        return (r.status, try JSONParser.parse(r.body))
    }

    /// A tensor member of an answer: shape and flat values.
    static func tensor(_ v: JSONValue?) -> (shape: [Int], data: [Double]) {
        func flat(_ v: JSONValue?) -> [Double] {
            switch v {
            case .array(let items)?: return items.flatMap { flat($0) }
            case .number(let n)?: return [n.value]
            default: return []
            }
        }
        let shape = v?["shape"]?.arrayValue?.compactMap { $0.numberValue?.exactInt } ?? [-1]
        return (shape, flat(v?["data"]))
    }

    static func expectTensor(
        _ v: JSONValue?, _ shape: [Int], _ data: [Double], tolerance: Double = 1e-12,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        let t = tensor(v)
        #expect(t.shape == shape, sourceLocation: sourceLocation)
        #expect(t.data.count == data.count, "\(t.data) vs \(data)", sourceLocation: sourceLocation)
        for (a, b) in zip(t.data, data) where abs(a - b) > tolerance * max(1, abs(b)) {
            Issue.record("\(t.data) differs from \(data)", sourceLocation: sourceLocation)
            return
        }
    }

    // MARK: /jvp

    @Test func jvpIsTheDirectionalDerivative() throws {
        // y = w·x² elementwise: dy = 2wx·tx + x²·tw, and s = Σy.
        let (status, body) = try Self.answer(.jvp, #"""
            {"dtype": "float64", "tensors": {"x": {"data": [1, 2, 3]}, "w": {"data": [0.5, -1, 2], "requires_grad": true}},
             "ops": [{"id": "p", "op": "mul", "inputs": ["x", "w"]}, {"id": "y", "op": "mul", "inputs": ["p", "x"]},
                     {"id": "s", "op": "sum", "inputs": ["y"]}],
             "outputs": ["y", "s"], "tangents": {"x": {"data": [1, 1, 1]}, "w": {"shape": [3], "data": [0, 1, 0]}}}
            """#)
        #expect(status == 200)
        #expect(body.objectValue?.keys == ["dtype", "outputs", "tangents"])
        Self.expectTensor(body["outputs"]?["y"], [3], [0.5, -4, 18])
        // 2wx = [1, -4, 12], plus x² = 4 in the second place.
        Self.expectTensor(body["tangents"]?["y"], [3], [1, 0, 12])
        Self.expectTensor(body["tangents"]?["s"], [], [13])
    }

    @Test func jvpDefaultsToTheForwardOutputsAndZeroTangents() throws {
        // Without outputs: the ops nothing reads (as /forward); without tangents for x,
        // every product is zero, and an output not depending on the tangent's tensor too.
        let (status, body) = try Self.answer(.jvp, #"""
            {"dtype": "float64", "tensors": {"x": {"data": [1, 2]}, "c": {"data": [3, 4]}},
             "ops": [{"id": "y", "op": "mul", "inputs": ["x", "x"]}, {"id": "z", "op": "neg", "inputs": ["c"]}],
             "tangents": {"x": {"data": [1, -1]}}}
            """#)
        #expect(status == 200)
        #expect(body["outputs"]?.objectValue?.keys == ["y", "z"])
        Self.expectTensor(body["tangents"]?["y"], [2], [2, -4])
        Self.expectTensor(body["tangents"]?["z"], [2], [0, 0])
        let (_, none) = try Self.answer(.jvp, #"{"tensors": {"x": {"data": [1, 2]}}, "ops": [{"id": "y", "op": "mul", "inputs": ["x", "x"]}], "tangents": {}}"#)
        Self.expectTensor(none["tangents"]?["y"], [2], [0, 0])
    }

    @Test func jvpOfATangentTensorItselfIsTheTangent() throws {
        let (status, body) = try Self.answer(.jvp, #"""
            {"tensors": {"x": {"data": [1, 2]}}, "ops": [], "outputs": ["x"], "tangents": {"x": {"data": [5, 6]}}}
            """#)
        #expect(status == 200)
        Self.expectTensor(body["tangents"]?["x"], [2], [5, 6])
    }

    @Test func jvpAnswersInBase64WhenAsked() throws {
        // float32 [2, 0] little-endian: 0x40000000, 0.
        let r = GraphService().respond(to: .jvp, body: Array(#"""
            {"encoding": "b64", "tensors": {"x": {"data": [1, 2]}}, "ops": [{"id": "y", "op": "mul", "inputs": ["x", "x"]}],
             "tangents": {"x": {"shape": [2], "b64": "AACAPwAAAAA="}}}
            """#.utf8))
        #expect(r.status == 200)
        #expect(String(decoding: r.body, as: UTF8.self)
            == #"{"dtype":"float32","outputs":{"y":{"shape":[2],"b64":"AACAPwAAgEA="}},"tangents":{"y":{"shape":[2],"b64":"AAAAQAAAAAA="}}}"#)
    }

    // MARK: /hvp

    static let twoTensors = #"""
        {"dtype": "float64", "tensors": {"x": {"data": [1, 2], "requires_grad": true}, "y": {"data": [3, 4], "requires_grad": true}},
         "ops": [{"id": "xx", "op": "mul", "inputs": ["x", "x"]}, {"id": "xxy", "op": "mul", "inputs": ["xx", "y"]},
                 {"id": "loss", "op": "sum", "inputs": ["xxy"]}],
         "loss": "loss", "vectors": VECTORS GRADIENTS}
        """#

    @Test func hvpIsTheJointHessianTimesTheVectors() throws {
        // loss = Σ x²y: ∇ = (2xy, x²); H = [[2y, 2x], [2x, 0]] blockwise (diagonal blocks).
        let body = Self.twoTensors.replacingOccurrences(of: "VECTORS", with: #"{"x": {"data": [1, 0]}, "y": {"data": [0, 1]}}"#)
            .replacingOccurrences(of: "GRADIENTS", with: "")
        let (status, answer) = try Self.answer(.hvp, body)
        #expect(status == 200)
        #expect(answer.objectValue?.keys == ["dtype", "outputs", "gradients", "hvp"])
        Self.expectTensor(answer["outputs"]?["loss"], [], [19])
        Self.expectTensor(answer["gradients"]?["x"], [2], [6, 16])
        Self.expectTensor(answer["gradients"]?["y"], [2], [1, 4])
        Self.expectTensor(answer["hvp"]?["x"], [2], [6, 4])  // 2y·vx + 2x·vy
        Self.expectTensor(answer["hvp"]?["y"], [2], [2, 0])  // 2x·vx
    }

    @Test func hvpOverOneTensorHoldsTheOthersFixed() throws {
        // Only x has a vector: H is ∂²/∂x² = diag(2y); gradients as /backward: only "y" asked.
        let body = Self.twoTensors.replacingOccurrences(of: "VECTORS", with: #"{"x": {"data": [1, 1]}}"#)
            .replacingOccurrences(of: "GRADIENTS", with: #", "gradients": ["y"]"#)
        let (status, answer) = try Self.answer(.hvp, body)
        #expect(status == 200)
        #expect(answer["gradients"]?.objectValue?.keys == ["y"])
        Self.expectTensor(answer["gradients"]?["y"], [2], [1, 4])
        #expect(answer["hvp"]?.objectValue?.keys == ["x"])
        Self.expectTensor(answer["hvp"]?["x"], [2], [6, 8])
    }

    @Test func hvpNeedsNoRequiresGradAndIsZeroForALinearLoss() throws {
        let (status, answer) = try Self.answer(.hvp, #"""
            {"dtype": "float64", "tensors": {"x": {"data": [1, 2]}, "a": {"data": [3, 4]}},
             "ops": [{"id": "ax", "op": "mul", "inputs": ["a", "x"]}, {"id": "loss", "op": "sum", "inputs": ["ax"]}],
             "loss": "loss", "vectors": {"x": {"data": [1, 1]}}}
            """#)
        #expect(status == 200)
        #expect(answer["gradients"]?.objectValue?.keys == [])
        Self.expectTensor(answer["hvp"]?["x"], [2], [0, 0])
    }

    @Test func hvpMatchesFiniteDifferencesOfTheGradient() throws {
        // H·v ≈ (∇f(x + εv) − ∇f(x − εv)) / 2ε, with ∇ from /backward: f = Σ (x·x·x·w).
        func request(_ x: [Double], _ endpoint: Endpoint) -> String {
            let data = x.map { "\($0)" }.joined(separator: ", ")
            return #"""
                {"dtype": "float64", "tensors": {"x": {"data": [\#(data)], "requires_grad": true}, "w": {"data": [0.5, -2, 1.5]}},
                 "ops": [{"id": "a", "op": "mul", "inputs": ["x", "x"]}, {"id": "b", "op": "mul", "inputs": ["a", "x"]},
                         {"id": "c", "op": "mul", "inputs": ["b", "w"]}, {"id": "loss", "op": "sum", "inputs": ["c"]}],
                 "loss": "loss"\#(endpoint == .hvp ? #", "vectors": {"x": {"data": [0.3, -1, 2]}}"# : "")}
                """#
        }
        let x = [1.2, -0.7, 0.4], v = [0.3, -1.0, 2.0], eps = 1e-6
        let (_, hvp) = try Self.answer(.hvp, request(x, .hvp))
        let plus = Self.tensor(try Self.answer(.backward, request(zip(x, v).map { $0 + eps * $1 }, .backward)).1["gradients"]?["x"]).data
        let minus = Self.tensor(try Self.answer(.backward, request(zip(x, v).map { $0 - eps * $1 }, .backward)).1["gradients"]?["x"]).data
        let numeric = zip(plus, minus).map { ($0 - $1) / (2 * eps) }
        #expect(numeric.count == 3)
        Self.expectTensor(hvp["hvp"]?["x"], [3], numeric, tolerance: 1e-7)
        // And the closed form 6·w·x·v.
        Self.expectTensor(hvp["hvp"]?["x"], [3], (0..<3).map { 6 * [0.5, -2, 1.5][$0] * x[$0] * v[$0] })
    }

    @Test func hvpOfAnMLPMatchesBackwardAndFiniteDifferences() throws {
        // linear (x has no gradient: the first layer's weight gradient is computed beside
        // the second pass's seed), relu, linear, cross_entropy. Vectors on W1 and b1 only;
        // gradients asked for W2 (no vector) and W1: /backward's, and H·v against central
        // differences of /backward's gradients along the vectors.
        let x = (0..<12).map { Double(($0 * 7) % 11) / 5 - 1 }
        let w1 = (0..<15).map { Double(($0 * 5) % 13) / 6 - 1 }, b1 = [0.1, -0.2, 0.3, 0, 0.05]
        let w2 = (0..<10).map { Double(($0 * 3) % 7) / 3 - 1 }
        let v1 = (0..<15).map { Double(($0 * 4) % 9) / 4 - 1 }, vb = [0.5, -1, 0.25, 1, -0.5]
        func list(_ a: [Double]) -> String { "[" + a.map { "\($0)" }.joined(separator: ", ") + "]" }
        func request(_ endpoint: Endpoint, shift eps: Double = 0) -> String {
            let w1s = zip(w1, v1).map { $0 + eps * $1 }, b1s = zip(b1, vb).map { $0 + eps * $1 }
            let extra = endpoint == .hvp
                ? #", "vectors": {"W1": {"shape": [3, 5], "data": \#(list(v1))}, "b1": {"data": \#(list(vb))}}, "gradients": ["W2", "W1"]"#
                : ""
            return #"""
                {"dtype": "float64",
                 "tensors": {"x": {"shape": [4, 3], "data": \#(list(x))}, "labels": {"data": [0, 1, 1, 0]},
                             "W1": {"shape": [3, 5], "data": \#(list(w1s)), "requires_grad": true},
                             "b1": {"data": \#(list(b1s)), "requires_grad": true},
                             "W2": {"shape": [5, 2], "data": \#(list(w2)), "requires_grad": true}},
                 "ops": [{"id": "h", "op": "linear", "inputs": ["x", "W1", "b1"]}, {"id": "a", "op": "relu", "inputs": ["h"]},
                         {"id": "z", "op": "linear", "inputs": ["a", "W2"]},
                         {"id": "loss", "op": "cross_entropy", "inputs": ["z", "labels"]}],
                 "loss": "loss"\#(extra)}
                """#
        }
        let (status, hvp) = try Self.answer(.hvp, request(.hvp))
        #expect(status == 200)
        let (_, backward) = try Self.answer(.backward, request(.backward))
        #expect(hvp["gradients"]?.objectValue?.keys == ["W2", "W1"])
        for name in ["W2", "W1"] {
            let g = Self.tensor(backward["gradients"]?[name])
            Self.expectTensor(hvp["gradients"]?[name], g.shape, g.data, tolerance: 1e-13)
        }
        let eps = 1e-6
        let plus = try Self.answer(.backward, request(.backward, shift: eps)).1["gradients"]
        let minus = try Self.answer(.backward, request(.backward, shift: -eps)).1["gradients"]
        for (name, shape) in [("W1", [3, 5]), ("b1", [5])] {
            let numeric = zip(Self.tensor(plus?[name]).data, Self.tensor(minus?[name]).data).map { ($0 - $1) / (2 * eps) }
            #expect(numeric.count == shape.reduce(1, *))
            #expect(numeric.contains { abs($0) > 1e-3 })
            Self.expectTensor(hvp["hvp"]?[name], shape, numeric, tolerance: 1e-6)
        }
    }

    @Test func hvpComputesOnlyTheGradientsItAnswers() throws {
        // A tensor with a vector whose gradient is not answered gets H·v without its weight
        // gradient ever being computed (every linear layer's, also the hidden one's, whose
        // input gets a gradient: seeded with G·vᵀ instead). The same products as with every
        // gradient answered, for "gradients": [] (none), ["W2"] and no requires_grad at all;
        // the gradients answered are /backward's.
        let x = (0..<12).map { Double(($0 * 7) % 11) / 5 - 1 }
        let w1 = (0..<15).map { Double(($0 * 5) % 13) / 6 - 1 }, b1 = [0.1, -0.2, 0.3, 0, 0.05]
        let w2 = (0..<10).map { Double(($0 * 3) % 7) / 3 - 1 }
        let v1 = (0..<15).map { Double(($0 * 4) % 9) / 4 - 1 }, vb = [0.5, -1, 0.25, 1, -0.5]
        let v2 = (0..<10).map { Double(($0 * 2) % 5) / 2 - 1 }
        func list(_ a: [Double]) -> String { "[" + a.map { "\($0)" }.joined(separator: ", ") + "]" }
        func request(_ endpoint: Endpoint, gradients: String?, requiresGrad: Bool = true) -> String {
            let vectors = #""vectors": {"W1": {"shape": [3, 5], "data": \#(list(v1))}, "b1": {"data": \#(list(vb))}, "W2": {"shape": [5, 2], "data": \#(list(v2))}}"#
            let extra = (endpoint == .hvp ? ", " + vectors : "") + (gradients.map { #", "gradients": \#($0)"# } ?? "")
            let rg = requiresGrad ? #", "requires_grad": true"# : ""
            return #"""
                {"dtype": "float64",
                 "tensors": {"x": {"shape": [4, 3], "data": \#(list(x))}, "labels": {"data": [0, 1, 1, 0]},
                             "W1": {"shape": [3, 5], "data": \#(list(w1))\#(rg)}, "b1": {"data": \#(list(b1))\#(rg)},
                             "W2": {"shape": [5, 2], "data": \#(list(w2))\#(rg)}},
                 "ops": [{"id": "h", "op": "linear", "inputs": ["x", "W1", "b1"]}, {"id": "a", "op": "relu", "inputs": ["h"]},
                         {"id": "z", "op": "linear", "inputs": ["a", "W2"]},
                         {"id": "loss", "op": "cross_entropy", "inputs": ["z", "labels"]}],
                 "loss": "loss"\#(extra)}
                """#
        }
        let (status, all) = try Self.answer(.hvp, request(.hvp, gradients: nil))
        #expect(status == 200)
        #expect(all["gradients"]?.objectValue?.keys.sorted() == ["W1", "W2", "b1"])
        let (_, backward) = try Self.answer(.backward, request(.backward, gradients: nil))
        for (gradients, requiresGrad, answered) in [("[]", true, [String]()), (#"["W2"]"#, true, ["W2"]), (nil, false, [])] {
            let (status, some) = try Self.answer(.hvp, request(.hvp, gradients: gradients, requiresGrad: requiresGrad))
            #expect(status == 200)
            #expect(some["gradients"]?.objectValue?.keys.sorted() == answered, "\(gradients ?? "default")")
            for name in answered {
                let g = Self.tensor(backward["gradients"]?[name])
                Self.expectTensor(some["gradients"]?[name], g.shape, g.data, tolerance: 1e-13)
            }
            for (name, shape) in [("W1", [3, 5]), ("b1", [5]), ("W2", [5, 2])] {
                let h = Self.tensor(all["hvp"]?[name])
                #expect(h.shape == shape && h.data.contains { abs($0) > 1e-3 })
                Self.expectTensor(some["hvp"]?[name], shape, h.data, tolerance: 1e-13)
            }
        }
    }

    // MARK: the grad op

    @Test func nestedGradOpsGiveHigherDerivatives() throws {
        // s = Σx³: g = 3x², gg = ∂Σg/∂x = 6x, ggg = 6; x needs no requires_grad.
        let (status, body) = try Self.answer(.forward, #"""
            {"dtype": "float64", "tensors": {"x": {"data": [1, 2]}},
             "ops": [{"id": "xx", "op": "mul", "inputs": ["x", "x"]}, {"id": "xxx", "op": "mul", "inputs": ["xx", "x"]},
                     {"id": "s", "op": "sum", "inputs": ["xxx"]}, {"id": "g", "op": "grad", "inputs": ["s", "x"]},
                     {"id": "gs", "op": "sum", "inputs": ["g"]}, {"id": "gg", "op": "grad", "inputs": ["gs", "x"]},
                     {"id": "ggs", "op": "sum", "inputs": ["gg"]}, {"id": "ggg", "op": "grad", "inputs": ["ggs", "x"]}],
             "outputs": ["g", "gg", "ggg"]}
            """#)
        #expect(status == 200)
        Self.expectTensor(body["outputs"]?["g"], [2], [3, 12])
        Self.expectTensor(body["outputs"]?["gg"], [2], [6, 12])
        Self.expectTensor(body["outputs"]?["ggg"], [2], [6, 6])
    }

    @Test func gradWithRespectToAnOpAndOfAnUnrelatedScalar() throws {
        // h = c·c from constants: grad(Σh², h) = 2h; f independent of x: zeros of x's shape.
        let (status, body) = try Self.answer(.forward, #"""
            {"dtype": "float64", "tensors": {"c": {"data": [1, 3]}, "x": {"data": [[1, 2], [3, 4]]}},
             "ops": [{"id": "h", "op": "mul", "inputs": ["c", "c"]}, {"id": "hh", "op": "mul", "inputs": ["h", "h"]},
                     {"id": "f", "op": "sum", "inputs": ["hh"]}, {"id": "dh", "op": "grad", "inputs": ["f", "h"]},
                     {"id": "dx", "op": "grad", "inputs": ["f", "x"]}],
             "outputs": ["dh", "dx"]}
            """#)
        #expect(status == 200)
        Self.expectTensor(body["outputs"]?["dh"], [2], [2, 18])
        Self.expectTensor(body["outputs"]?["dx"], [2, 2], [0, 0, 0, 0])
    }

    @Test func backwardDifferentiatesThroughGradTwiceAndThrice() throws {
        // Gradient penalty: g = ∂Σ(x·w)/∂x = w in every row; penalty = Σg² = rows·Σw²; ∂/∂w = 2·rows·w.
        let (status, body) = try Self.answer(.backward, #"""
            {"dtype": "float64", "tensors": {"x": {"data": [[1, 2], [3, 4]]}, "w": {"data": [0.5, -1], "requires_grad": true}},
             "ops": [{"id": "h", "op": "mul", "inputs": ["x", "w"]}, {"id": "s", "op": "sum", "inputs": ["h"]},
                     {"id": "g", "op": "grad", "inputs": ["s", "x"]}, {"id": "g2", "op": "mul", "inputs": ["g", "g"]},
                     {"id": "penalty", "op": "sum", "inputs": ["g2"]}],
             "loss": "penalty"}
            """#)
        #expect(status == 200)
        Self.expectTensor(body["outputs"]?["penalty"], [], [2.5])
        Self.expectTensor(body["gradients"]?["w"], [2], [2, -4])
        // Third order: loss = Σ ∂²(Σ w·x³)/∂x² = Σ 6wx; ∂/∂w = 6x.
        let (status3, third) = try Self.answer(.backward, #"""
            {"dtype": "float64", "tensors": {"x": {"data": [1, -2]}, "w": {"data": [0.5, 3], "requires_grad": true}},
             "ops": [{"id": "a", "op": "mul", "inputs": ["x", "x"]}, {"id": "b", "op": "mul", "inputs": ["a", "x"]},
                     {"id": "c", "op": "mul", "inputs": ["b", "w"]}, {"id": "s", "op": "sum", "inputs": ["c"]},
                     {"id": "u_x", "op": "grad", "inputs": ["s", "x"]}, {"id": "t", "op": "sum", "inputs": ["u_x"]},
                     {"id": "u_xx", "op": "grad", "inputs": ["t", "x"]}, {"id": "loss", "op": "sum", "inputs": ["u_xx"]}],
             "loss": "loss"}
            """#)
        #expect(status3 == 200)
        Self.expectTensor(third["outputs"]?["loss"], [], [6 * 0.5 * 1 + 6 * 3 * -2])
        Self.expectTensor(third["gradients"]?["w"], [2], [6, -12])
    }

    @Test func trainDescendsALossContainingAGrad() throws {
        // loss = Σ(∂Σx²/∂x)² = 4Σx²: SGD with lr 0.1 scales x by 1 − 0.8 each step.
        let (status, body) = try Self.answer(.train, #"""
            {"dtype": "float64", "tensors": {"x": {"data": [1, 2], "requires_grad": true}},
             "ops": [{"id": "y", "op": "mul", "inputs": ["x", "x"]}, {"id": "s", "op": "sum", "inputs": ["y"]},
                     {"id": "g", "op": "grad", "inputs": ["s", "x"]}, {"id": "g2", "op": "mul", "inputs": ["g", "g"]},
                     {"id": "loss", "op": "sum", "inputs": ["g2"]}],
             "loss": "loss", "optimizer": {"name": "sgd", "lr": 0.1}, "steps": 3}
            """#)
        #expect(status == 200)
        let losses = body["losses"]?.arrayValue?.compactMap { $0.numberValue?.value } ?? []
        #expect(losses.count == 3)
        for (got, want) in zip(losses, [20, 0.8, 0.032]) { #expect(abs(got - want) < 1e-12) }
        Self.expectTensor(body["parameters"]?["x"], [2], [0.008, 0.016])
    }

    @Test func graphsWithGradAreFusedAndGiveTheUnfusedValues() throws {
        // An elementwise chain the fusion pass takes (x·w + x, squared, summed) under a grad:
        // a fused step is differentiated again through its differentiable VJP.
        let _: any DifferentiableOperator.Type = FusedElementwise.self
        let body = #"""
            {"dtype": "float64", "tensors": {"x": {"data": [1, 2, 3]}, "w": {"data": [2, 2, 2], "requires_grad": true}},
             "ops": [{"id": "a", "op": "mul", "inputs": ["x", "w"]}, {"id": "b", "op": "add", "inputs": ["a", "x"]},
                     {"id": "c", "op": "mul", "inputs": ["b", "b"]}, {"id": "s", "op": "sum", "inputs": ["c"]},
                     {"id": "g", "op": "grad", "inputs": ["s", "x"]}, {"id": "gg", "op": "mul", "inputs": ["g", "x"]},
                     {"id": "loss", "op": "sum", "inputs": ["gg"]}],
             "loss": "loss"}
            """#
        var decoder = RequestDecoder(endpoint: .backward, limits: GraphLimits())
        let request = try decoder.decode(try JSONParser.parse(Array(body.utf8)))
        let plan = try GraphPlan(request, problems: decoder.problems, limits: GraphLimits(), for: .backward)
        #expect(plan.hasGradOps)
        #expect(plan.fusedSteps().count < plan.steps.count, "the chain is fusable on its own")
        // c = ((w+1)x)²: g = 2(w+1)²x; loss = Σ 2(w+1)²x²; ∂/∂w = 4(w+1)x² = [12, 48, 108].
        let (status, answer) = try Self.answer(.backward, body)
        #expect(status == 200)
        Self.expectTensor(answer["outputs"]?["loss"], [], [18 * 14])
        Self.expectTensor(answer["gradients"]?["w"], [3], [12, 48, 108])
        // Fused and op by op, the executor gives the same numbers.
        func run(fuse: Bool) throws -> (loss: [Double], w: [Double]) {
            var executor = Executor<Double>(plan: plan, differentiate: true, fuse: fuse)
            try executor.forward()
            try executor.backward()
            return (executor.value(plan.loss ?? 0).data, executor.gradient(plan.gradients[0].slot).data)
        }
        let fused = try run(fuse: true), unfused = try run(fuse: false)
        #expect(fused.loss == unfused.loss && fused.w == unfused.w, "\(fused) vs \(unfused)")
        #expect(unfused.w == [12, 48, 108])
    }

    @Test func theRequestTimeoutStopsThem() throws {
        // Received 60 s ago under a 30 s limit: 503 before anything is computed.
        for (endpoint, body) in [(Endpoint.jvp, #"{"tensors": {"x": {"data": 1}}, "ops": [], "outputs": ["x"], "tangents": {}}"#),
                                 (.hvp, #"{"tensors": {"x": {"data": 1}}, "ops": [{"id": "s", "op": "mul", "inputs": ["x", "x"]}], "loss": "s", "vectors": {"x": {"data": 1}}}"#)] {
            let r = GraphService().respond(to: endpoint, body: Array(body.utf8), since: .now - .seconds(60))
            #expect(r.status == 503)
            #expect(try JSONParser.parse(r.body)["type"]?.stringValue == ProblemType.computationTimeout.uri)
            #expect(GraphService().respond(to: endpoint, body: Array(body.utf8)).status == 200)
        }
    }

    @Test func postGraphDrawsAGradOp() throws {
        let r = GraphService().respond(to: .graph, body: Array(#"""
            {"dtype": "float64", "tensors": {"x": {"data": [1, 2], "requires_grad": true}},
             "ops": [{"id": "y", "op": "mul", "inputs": ["x", "x"]}, {"id": "s", "op": "sum", "inputs": ["y"]},
                     {"id": "g", "op": "grad", "inputs": ["s", "x"]}, {"id": "loss", "op": "sum", "inputs": ["g"]}],
             "loss": "loss"}
            """#.utf8))
        #expect(r.status == 200)
        #expect(r.contentType == "text/vnd.graphviz")
        let dot = String(decoding: r.body, as: UTF8.self)
        #expect(dot.contains("grad"))
        // ∂Σ2x/∂x = 2 per element: ‖grad‖ = 2√2.
        #expect(dot.contains("‖grad‖ = 2.828"), "\(dot.prefix(600))")
    }

    @Test func gradIsListedWithTheOps() throws {
        let ops = try JSONParser.parse(GraphService().operations().body)["ops"]?.arrayValue ?? []
        let grad = ops.first { $0["name"]?.stringValue == "grad" }
        #expect(grad?["inputs"] == ["f", "x"])
        #expect(grad?["arity"]?["min"]?.numberValue?.exactInt == 2 && grad?["arity"]?["max"]?.numberValue?.exactInt == 2)
        #expect(ops.last?["name"]?.stringValue == "grad")
        #expect(Operators.named("grad") == nil, "grad is a graph op, not an engine op")
    }
}

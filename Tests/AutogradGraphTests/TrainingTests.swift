import AutogradGraph
import Testing

/// `POST /train` against torch.optim trajectories, and its validation.
@Suite struct TrainingTests {
    static let cases = FixtureCase.load(FixturePaths.train)

    @Test func everyOptimizerHasTrajectoriesInBothPrecisions() {
        for name in ["sgd", "adam", "adamw", "sgd_100_steps", "adam_100_steps", "adamw_100_steps"] {
            let mine = Self.cases.filter { $0.file == name + ".json" }
            #expect(mine.contains { $0.request["dtype"]?.stringValue == "float32" }, "\(name)")
            #expect(mine.contains { $0.request["dtype"]?.stringValue == "float64" }, "\(name)")
        }
    }

    @Test(arguments: cases)
    func matchesTorchOptim(_ c: FixtureCase) throws {
        try expectFixture(c, endpoint: .train)
    }

    private static let graph = #""tensors": {"x": {"data": [[1, 2], [3, 4]]}, "w": {"data": [0.5, -0.5], "requires_grad": true}}, "ops": [{"id": "p", "op": "mul", "inputs": ["x", "w"]}, {"id": "l", "op": "sum", "inputs": ["p"]}], "loss": "l""#

    static let invalid: [BadRequest] = [
        BadRequest(label: "unknown optimizer", body: #"{\#(graph), "optimizer": {"name": "rmsprop"}, "steps": 2}"#, status: 422, pointers: ["/optimizer/name"]),
        BadRequest(label: "negative steps", body: #"{\#(graph), "optimizer": {"name": "sgd", "lr": 0.1}, "steps": -1}"#, status: 422, pointers: ["/steps"]),
        BadRequest(label: "steps over the limit", body: #"{\#(graph), "optimizer": {"name": "sgd", "lr": 0.1}, "steps": 10001}"#, status: 422, pointers: ["/steps"]),
        BadRequest(label: "steps a fraction", body: #"{\#(graph), "optimizer": {"name": "sgd"}, "steps": 1.5}"#, status: 400, pointers: ["/steps"]),
        BadRequest(label: "steps missing", body: #"{\#(graph), "optimizer": {"name": "sgd"}}"#, status: 400, pointers: ["/steps"]),
        BadRequest(label: "negative learning rate", body: #"{\#(graph), "optimizer": {"name": "adam", "lr": -1}, "steps": 1}"#, status: 422, pointers: ["/optimizer/lr"]),
        BadRequest(label: "beta of one", body: #"{\#(graph), "optimizer": {"name": "adamw", "betas": [0.9, 1]}, "steps": 1}"#, status: 422, pointers: ["/optimizer/betas"]),
        BadRequest(label: "nesterov without momentum", body: #"{\#(graph), "optimizer": {"name": "sgd", "nesterov": true}, "steps": 1}"#, status: 422, pointers: ["/optimizer/nesterov"]),
        BadRequest(label: "amsgrad not a boolean", body: #"{\#(graph), "optimizer": {"name": "adam", "amsgrad": 1}, "steps": 1}"#, status: 400, pointers: ["/optimizer/amsgrad"]),
        BadRequest(label: "amsgrad is not SGD's", body: #"{\#(graph), "optimizer": {"name": "sgd", "amsgrad": true}, "steps": 1}"#, status: 422, pointers: ["/optimizer/amsgrad"]),
        BadRequest(label: "unknown hyper-parameter", body: #"{\#(graph), "optimizer": {"name": "sgd", "betas": [0.9, 0.99]}, "steps": 1}"#, status: 422, pointers: ["/optimizer/betas"]),
        BadRequest(label: "no loss", body: #"{"tensors": {"w": {"data": [1], "requires_grad": true}}, "ops": [{"id": "n", "op": "neg", "inputs": ["w"]}], "optimizer": {"name": "sgd"}, "steps": 1}"#, status: 400, pointers: ["/loss"]),
        BadRequest(label: "a seed is not a training field", body: #"{\#(graph), "seed": {"data": 1}, "optimizer": {"name": "sgd"}, "steps": 1}"#, status: 422, pointers: ["/seed"]),
    ]

    @Test(arguments: invalid)
    func refusesBadTrainingRequests(_ c: BadRequest) throws {
        let response = GraphService().respond(to: .train, body: Array(c.body.utf8))
        #expect(response.status == c.status)
        let pointers = try JSONParser.parse(response.body)["errors"]?.arrayValue?.compactMap { $0["pointer"]?.stringValue }
        #expect(pointers == c.pointers, "\(String(decoding: response.body, as: UTF8.self))")
    }

    @Test func zeroStepsReturnsTheInitialParameters() throws {
        let response = GraphService().respond(to: .train, body: Array(#"{\#(Self.graph), "optimizer": {"name": "sgd", "lr": 0.1}, "steps": 0}"#.utf8))
        #expect(String(decoding: response.body, as: UTF8.self)
            == #"{"dtype":"float32","losses":[],"parameters":{"w":{"shape":[2],"data":[0.5,-0.5]}}}"#)
    }

    @Test func plainSGDStepsByHand() throws {
        // l = Σ x·w (broadcast over rows): dl/dw = column sums [4, 6]; w ← w − 0.1·[4, 6].
        // l₀ = 0.5 − 1 + 1.5 − 2 = −1; w₁ = [0.1, −1.1], l₁ = 0.1 − 2.2 + 0.3 − 4.4 = −6.2.
        let response = GraphService().respond(to: .train, body: Array(#"{"dtype": "float64", \#(Self.graph), "optimizer": {"name": "sgd", "lr": 0.1}, "steps": 2}"#.utf8))
        let json = try JSONParser.parse(response.body)
        let losses = json["losses"]?.arrayValue?.compactMap { $0.numberValue?.value } ?? []
        #expect(losses.count == 2 && losses[0] == -1 && abs(losses[1] - -6.2) < 1e-12)
        let w = WireTensor(json["parameters"]?["w"])?.data ?? []
        #expect(w.count == 2 && abs(w[0] - (0.5 - 0.8)) < 1e-12 && abs(w[1] - (-0.5 - 1.2)) < 1e-12)
    }
}

/// `POST /forward`: outputs only.
@Suite struct ForwardTests {
    @Test func returnsOutputsAndNoGradients() throws {
        let body = try FixturePaths.bytes(FixturePaths.examples.appendingPathComponent("seed-linear-mse.json"))
        let forward = GraphService().respond(to: .forward, body: body)
        let backward = GraphService().respond(to: .backward, body: body)
        #expect(forward.status == 200)
        let f = try JSONParser.parse(forward.body), b = try JSONParser.parse(backward.body)
        #expect(f.objectValue?.keys == ["dtype", "outputs"])
        #expect(f["outputs"] == b["outputs"])
    }

    @Test func validatesLikeBackward() throws {
        let response = GraphService().respond(to: .forward, body: Array(#"{"tensors": {}, "ops": [{"id": "y", "op": "nope", "inputs": []}]}"#.utf8))
        #expect(response.status == 422)
    }
}

/// Tensors made by the server from an initialiser.
@Suite struct InitTests {
    private func made(_ tensor: String, dtype: String = "float64") throws -> (Int, JSONValue) {
        let body = #"{"dtype": "\#(dtype)", "tensors": {"w": \#(tensor)}, "ops": [{"id": "o", "op": "neg", "inputs": ["w"]}, {"id": "y", "op": "neg", "inputs": ["o"]}], "outputs": ["y"]}"#
        let r = GraphService().respond(to: .forward, body: Array(body.utf8))
        return (r.status, try JSONParser.parse(r.body))
    }

    @Test func zerosAndOnes() throws {
        let (_, z) = try made(#"{"shape": [2, 2], "init": {"name": "zeros"}}"#)
        #expect(WireTensor(z["outputs"]?["y"]) == WireTensor(shape: [2, 2], data: [0, 0, 0, 0]))
        let (_, o) = try made(#"{"shape": [3], "init": {"name": "ones"}}"#)
        #expect(WireTensor(o["outputs"]?["y"]) == WireTensor(shape: [3], data: [1, 1, 1]))
    }

    @Test func seededInitialisersAreDeterministicAndInRange() throws {
        let (s1, a) = try made(#"{"shape": [64, 8], "init": {"name": "kaiming_uniform", "seed": 3}}"#)
        let (_, b) = try made(#"{"shape": [64, 8], "init": {"name": "kaiming_uniform", "seed": 3}}"#)
        let (_, c) = try made(#"{"shape": [64, 8], "init": {"name": "kaiming_uniform", "seed": 4}}"#)
        #expect(s1 == 200)
        let va = WireTensor(a["outputs"]?["y"])?.data ?? []
        #expect(va.count == 512)
        #expect(va == WireTensor(b["outputs"]?["y"])?.data)
        #expect(va != WireTensor(c["outputs"]?["y"])?.data)
        #expect(va.allSatisfy { abs($0) <= 1.0 / 8 })  // 1/√64
        #expect(va.contains { $0 > 0.1 } && va.contains { $0 < -0.1 })

        let (_, u) = try made(#"{"shape": [1000], "init": {"name": "uniform", "seed": 1, "low": 2, "high": 3}}"#)
        let vu = WireTensor(u["outputs"]?["y"])?.data ?? []
        #expect(vu.allSatisfy { $0 >= 2 && $0 < 3 })
        let (_, n) = try made(#"{"shape": [4000], "init": {"name": "normal", "seed": 1, "mean": 5, "std": 2}}"#)
        let vn = WireTensor(n["outputs"]?["y"])?.data ?? []
        let mean = vn.reduce(0, +) / Double(vn.count)
        let sd = (vn.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(vn.count)).squareRoot()
        #expect(abs(mean - 5) < 0.1 && abs(sd - 2) < 0.1)
    }

    @Test func theSameSeedGivesTheSameBitsOnEveryRun() throws {
        // Pinned values: a change of generator or formula changes every client's weights.
        let (_, a) = try made(#"{"shape": [3], "init": {"name": "uniform", "seed": 42}}"#)
        let values = WireTensor(a["outputs"]?["y"])?.data ?? []
        var g = SplitMix64Reference(seed: 42)
        #expect(values == (0..<3).map { _ in Double(g.next() >> 11) * 0x1p-53 })
    }

    static let invalid: [BadRequest] = [
        BadRequest(label: "unknown initialiser", body: #"{"shape": [2], "init": {"name": "xavier", "seed": 1}}"#, status: 422, pointers: ["/tensors/w/init/name"]),
        BadRequest(label: "missing seed", body: #"{"shape": [2], "init": {"name": "uniform"}}"#, status: 422, pointers: ["/tensors/w/init/seed"]),
        BadRequest(label: "negative std", body: #"{"shape": [2], "init": {"name": "normal", "seed": 1, "std": -1}}"#, status: 422, pointers: ["/tensors/w/init/std"]),
        BadRequest(label: "low above high", body: #"{"shape": [2], "init": {"name": "uniform", "seed": 1, "low": 3, "high": 1}}"#, status: 422, pointers: ["/tensors/w/init/high"]),
        BadRequest(label: "both data and init", body: #"{"shape": [2], "data": [1, 2], "init": {"name": "zeros"}}"#, status: 422, pointers: ["/tensors/w/init"]),
        BadRequest(label: "init without shape", body: #"{"init": {"name": "zeros"}}"#, status: 400, pointers: ["/tensors/w/shape"]),
        BadRequest(label: "unknown init parameter", body: #"{"shape": [2], "init": {"name": "zeros", "seed": 1}}"#, status: 422, pointers: ["/tensors/w/init/seed"]),
    ]

    @Test(arguments: invalid)
    func refusesBadInitialisers(_ c: BadRequest) throws {
        let (status, json) = try made(c.body)
        #expect(status == c.status)
        #expect(json["errors"]?.arrayValue?.compactMap { $0["pointer"]?.stringValue } == c.pointers)
    }
}

/// SplitMix64 written out independently of the engine's, to pin the init formula.
struct SplitMix64Reference {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// `GET /ops`, from the registry.
@Suite struct OpCatalogTests {
    @Test func listsEveryRegisteredOpWithItsAttributes() throws {
        let r = GraphService().operations()
        #expect(r.status == 200 && r.contentType == "application/json")
        let ops = try JSONParser.parse(r.body)["ops"]?.arrayValue ?? []
        #expect(ops.count >= 34)
        let sum = ops.first { $0["name"]?.stringValue == "sum" }
        #expect(sum?["arity"]?["min"]?.numberValue?.exactInt == 1)
        let attrs = sum?["attributes"]?.arrayValue?.compactMap { $0["name"]?.stringValue }
        #expect(attrs == ["axis", "keepdims"])
        let keepdims = sum?["attributes"]?.arrayValue?.first { $0["name"]?.stringValue == "keepdims" }
        #expect(keepdims?["default"] == .bool(false))
        let concat = ops.first { $0["name"]?.stringValue == "concat" }
        #expect(concat?["arity"]?["max"] == .null)
        let mse = ops.first { $0["name"]?.stringValue == "mse_loss" }
        let reduction = mse?["attributes"]?.arrayValue?.first
        #expect(reduction?["enum"] == ["mean", "sum", "none"])
    }
}

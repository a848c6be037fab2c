import AutogradGraph
import AutogradONNX
import Foundation
import Testing

/// The graph format over real HTTP against the real binary: the README's curl example,
/// every PyTorch fixture, each error class with its pointer, and training an MLP.
@Suite("graphs over HTTP", .timeLimit(.minutes(2)))
struct LiveGraphTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    static func file(_ path: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: root.appendingPathComponent(path)))
    }

    static func numbers(_ v: JSONValue?) -> [Double] {
        switch v {
        case .array(let items)?: return items.flatMap { numbers($0) }
        case .number(let n)?: return [n.value]
        default: return []
        }
    }

    @Test func theReadmeCurlExampleAnswersWithTheCommittedResponse() throws {
        let server = try ServerProcess()
        let response = try HTTP.postJSON(port: server.port, path: "/backward", body: try Self.file("api/examples/seed-linear-mse.json"))
        #expect(response.status == 200)
        #expect(response.header("Content-Type") == "application/json")
        let actual = try JSONParser.parse(response.body)
        let expected = try JSONParser.parse(try Self.file("api/examples/seed-linear-mse.response.json"))
        // Both are shortest float32 texts of the same values: equal as numbers, shapes and names.
        #expect(actual == expected)
        #expect(Self.numbers(actual["gradients"]?["W"]?["data"]).map { Float($0) } == [1.6, 3.0000002, 2.2, 4.2000003])
        #expect(Self.numbers(actual["gradients"]?["b"]?["data"]).map { Float($0) } == [0.6, 1.2])
        #expect(Float(Self.numbers(actual["outputs"]?["loss"]?["data"]).first ?? 0) == 1.1600002)
    }

    @Test func everyOpFixtureGetsTheSameBytesOverHTTPAsInProcess() throws {
        let server = try ServerProcess()
        let dir = Self.root.appendingPathComponent("Tests/Fixtures/ops")
        let files = try FileManager.default.contentsOfDirectory(at: dir, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "json" }.sorted { $0.path < $1.path }
        #expect(files.count >= 34)
        var count = 0
        for url in files {
            let doc = try JSONParser.parse([UInt8](try Data(contentsOf: url)))
            for c in doc["cases"]?.arrayValue ?? [] {
                guard let request = c["request"] else { continue }
                let body = JSONWriter.encode(request)
                let response = try HTTP.postJSON(port: server.port, path: "/backward", body: body)
                let expected = GraphService().respond(to: .backward, body: body)
                #expect(response.status == 200, "\(c["name"]?.stringValue ?? "")")
                #expect(response.body == expected.body, "\(c["name"]?.stringValue ?? "")")
                count += 1
            }
        }
        #expect(count >= 600)
    }

    /// Each error class: status, media type, and the pointer of its cause.
    static let errorCases: [(label: String, body: String, status: Int, pointer: String)] = [
        ("not JSON", #"{"tensors": [1, 2"#, 400, "/tensors"),
        ("wrong JSON type", #"{"tensors": {}, "ops": 3}"#, 400, "/ops"),
        ("unknown op", #"{"tensors": {"a": {"data": 1}}, "ops": [{"id": "y", "op": "frobnicate", "inputs": ["a"]}]}"#, 422, "/ops/0/op"),
        ("undefined input", #"{"tensors": {"a": {"data": 1}}, "ops": [{"id": "y", "op": "add", "inputs": ["a", "b"]}]}"#, 422, "/ops/0/inputs/1"),
        ("duplicate name", #"{"tensors": {"a": {"data": 1}}, "ops": [{"id": "a", "op": "neg", "inputs": ["a"]}]}"#, 422, "/ops/0/id"),
        ("cycle", #"{"tensors": {}, "ops": [{"id": "p", "op": "neg", "inputs": ["q"]}, {"id": "q", "op": "neg", "inputs": ["p"]}]}"#, 422, "/ops/0"),
        ("wrong arity", #"{"tensors": {"a": {"data": 1}}, "ops": [{"id": "y", "op": "add", "inputs": ["a"]}]}"#, 422, "/ops/0/inputs"),
        ("shape mismatch", #"{"tensors": {"a": {"data": [1, 2]}, "b": {"data": [1, 2, 3]}}, "ops": [{"id": "y", "op": "add", "inputs": ["a", "b"]}]}"#, 422, "/ops/0"),
        ("bad attribute", #"{"tensors": {"a": {"data": [1, 2]}}, "ops": [{"id": "y", "op": "sum", "inputs": ["a"], "attrs": {"axis": 4}}]}"#, 422, "/ops/0/attrs/axis"),
        ("ragged data", #"{"tensors": {"a/b": {"data": [[1, 2], [3]]}}, "ops": []}"#, 422, "/tensors/a~1b/data"),
        ("shape and data disagree", #"{"tensors": {"a": {"shape": [3], "data": [1, 2]}}, "ops": []}"#, 422, "/tensors/a"),
        ("unknown dtype", #"{"dtype": "int8", "tensors": {}, "ops": []}"#, 422, "/dtype"),
        ("non-scalar loss", #"{"tensors": {"a": {"data": [1, 2]}}, "ops": [{"id": "y", "op": "neg", "inputs": ["a"]}], "loss": "y"}"#, 422, "/loss"),
        ("unknown gradient", #"{"tensors": {"a": {"data": 1}}, "ops": [{"id": "y", "op": "neg", "inputs": ["a"]}], "loss": "y", "gradients": ["z"]}"#, 422, "/gradients/0"),
        ("unknown output", #"{"tensors": {"a": {"data": 1}}, "ops": [], "outputs": ["z"]}"#, 422, "/outputs/0"),
        ("class index out of range", #"{"tensors": {"l": {"data": [[1, 2]]}, "t": {"data": [2]}}, "ops": [{"id": "y", "op": "cross_entropy", "inputs": ["l", "t"]}], "loss": "y"}"#, 422, "/ops/0/inputs/1"),
    ]

    @Test func everyErrorClassAnswersAProblemWithItsPointer() throws {
        let server = try ServerProcess()
        for c in Self.errorCases {
            let response = try HTTP.postJSON(port: server.port, path: "/backward", body: Array(c.body.utf8))
            #expect(response.status == c.status, "\(c.label)")
            #expect(response.header("Content-Type") == "application/problem+json", "\(c.label)")
            let problem = try JSONParser.parse(response.body)
            #expect(problem["status"]?.numberValue?.exactInt == c.status, "\(c.label)")
            let pointers = problem["errors"]?.arrayValue?.compactMap { $0["pointer"]?.stringValue } ?? []
            #expect(pointers.first == c.pointer, "\(c.label): \(response.bodyText)")
        }
        // The server is still healthy after all of them.
        #expect(try HTTP.request(port: server.port, method: "GET", path: "/healthz").status == 200)
    }

    @Test func anMLPTrainedThroughTrainClassifiesItsData() throws {
        let server = try ServerProcess()
        let body = try Self.file("api/examples/mlp-train.json")
        let trained = try HTTP.postJSON(port: server.port, path: "/train", body: body)
        #expect(trained.status == 200)
        let result = try JSONParser.parse(trained.body)
        let losses = Self.numbers(result["losses"])
        #expect(losses.count == 200)
        #expect((losses.last ?? 1) < (losses.first ?? 0) / 10)

        // Run the trained network forward over HTTP with the returned parameters.
        guard case .object(var request)? = try? JSONParser.parse(body),
              case .object(let tensors)? = request["tensors"], case .object(let params)? = result["parameters"]
        else { Issue.record("unexpected shapes of request or response"); return }
        var members = tensors.members.filter { params[$0.key] == nil }
        for p in params.members { members.append((p.key, p.value)) }
        request = JSONObject(request.members.compactMap { m in
            switch m.key {
            case "tensors": return (m.key, .object(JSONObject(members)))
            case "optimizer", "steps", "loss": return nil
            default: return m
            }
        } + [("outputs", ["logits"])])
        let forward = try HTTP.postJSON(port: server.port, path: "/forward", body: JSONWriter.encode(.object(request)))
        #expect(forward.status == 200, "\(forward.bodyText.prefix(300))")
        let logits = Self.numbers(try JSONParser.parse(forward.body)["outputs"]?["logits"]?["data"])
        let labels = Self.numbers(tensors["labels"]?["data"])
        #expect(logits.count == 2 * labels.count)
        let correct = labels.indices.filter { i in (logits[2 * i + 1] > logits[2 * i] ? 1.0 : 0.0) == labels[i] }.count
        #expect(Double(correct) / Double(labels.count) >= 0.95)
    }

    @Test func opsListsEveryOpOverHTTP() throws {
        let server = try ServerProcess()
        let response = try HTTP.request(port: server.port, method: "GET", path: "/ops")
        #expect(response.status == 200)
        // The binary imports ONNX, so its catalog also lists the ONNX operators.
        #expect(response.body == GraphService(importer: ONNXImporter()).operations().body)
    }
}

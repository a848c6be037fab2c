import AutogradGraph
import Foundation
import Testing

/// The ONNX examples of api/examples/onnx (issue 11) over real HTTP against the binary: the
/// README's MLP exported by torch.onnx.export (api/examples/onnx/make_example.py) with a
/// cross_entropy loss added as one op. /backward answers PyTorch's loss and gradients of
/// every weight; /train fits three blobs and answers the trained model, which /forward
/// then classifies every training point with. (tools/onnx_train_check.py runs the same
/// answered model in onnxruntime.)
@Suite("ONNX examples over HTTP", .timeLimit(.minutes(2)))
struct ONNXExampleTests {
    static func numbers(_ v: JSONValue?) -> [Double] { LiveGraphTests.numbers(v) }

    @Test func backwardAnswersPyTorchsLossAndGradients() throws {
        let server = try ServerProcess()
        let actual = try ExampleReplay.post("api/examples/onnx/mlp-backward.json", to: "/backward", on: server)
        // float32, the fixtures' tolerance: rtol 1e-5, atol 1e-6.
        let names = try ExampleReplay.expectLossAndGradients(
            actual, equal: "api/examples/onnx/mlp-backward.response.json", rtol: 1e-5, atol: 1e-6)
        // Every weight of the export, under its ONNX name, and nothing else.
        guard case .object(let got)? = actual["gradients"] else {
            Issue.record("no gradients")
            return
        }
        #expect(got.members.map(\.key).sorted() == ["0.bias", "0.weight", "2.bias", "2.weight"])
        #expect(names.sorted() == got.members.map(\.key).sorted())
    }

    @Test func trainingAnswersAModelThatClassifiesTheBlobs() throws {
        let server = try ServerProcess()
        let body = try LiveGraphTests.file("api/examples/onnx/mlp-train.json")
        let answer = try ExampleReplay.post("api/examples/onnx/mlp-train.json", to: "/train", on: server, timeoutSeconds: 60)
        let losses = Self.numbers(answer["losses"])
        #expect(losses.count == 100)
        #expect((losses.last ?? 1) < 0.05 * (losses.first ?? 0), "losses \(losses.first ?? 0) -> \(losses.last ?? 0)")
        guard case .string(let trained)? = answer["onnx"]?["b64"] else {
            Issue.record("the answer carries no onnx.b64")
            return
        }
        let request = try JSONParser.parse(body)
        guard case .string(let sent)? = request["onnx"]?["b64"] else {
            Issue.record("the example carries no model")
            return
        }
        #expect(trained != sent, "the answered model holds the trained weights")
        // The answered model alone (no parameters given) classifies every training point.
        let forward: JSONValue = [
            "onnx": ["b64": .string(trained)], "tensors": ["x": request["tensors"]?["x"] ?? .null],
            "ops": [], "outputs": ["logits"],
        ]
        let f = try HTTP.postJSON(port: server.port, path: "/forward", body: JSONWriter.encode(forward), timeoutSeconds: 30)
        #expect(f.status == 200, "\(f.bodyText.prefix(300))")
        let logits = Self.numbers(try JSONParser.parse(f.body)["outputs"]?["logits"]?["data"])
        let labels = Self.numbers(request["tensors"]?["target"]?["data"])
        #expect(logits.count == 3 * labels.count && labels.count == 60)
        var correct = 0
        for (i, label) in labels.enumerated() where 3 * i + 2 < logits.count {
            let row = logits[(3 * i)..<(3 * i + 3)]
            if let best = row.indices.max(by: { row[$0] < row[$1] }), best - 3 * i == Int(label) { correct += 1 }
        }
        #expect(correct == labels.count, "\(correct) of \(labels.count) classified")
    }
}

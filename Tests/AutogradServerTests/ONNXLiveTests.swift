import AutogradGraph
import AutogradONNX
import Foundation
import Testing

/// ONNX models over real HTTP against the real binary (issue 11): the committed exports
/// answer the same bytes as the in-process import (which AutogradONNXTests checks against
/// PyTorch and onnxruntime), and the model's size counts against --max-body-bytes.
@Suite("ONNX over HTTP", .timeLimit(.minutes(2)))
struct ONNXLiveTests {
    static func request(_ model: String) throws -> [UInt8] {
        let bytes = try LiveGraphTests.file("Tests/Fixtures/onnx/\(model).onnx")
        let doc = try JSONParser.parse(try LiveGraphTests.file("Tests/Fixtures/onnx/\(model).json"))
        let x = JSONWriter.encode(doc["inputs"]?["x"] ?? .null)
        let target = JSONWriter.encode(doc["target"] ?? .null)
        let body = """
            {"onnx": {"b64": "\(Base64.encode(bytes))"}, "tensors": {"x": \(String(decoding: x, as: UTF8.self)), "target": \(String(decoding: target, as: UTF8.self))},
             "ops": [{"id": "loss", "op": "cross_entropy", "inputs": ["logits", "target"]}], "loss": "loss", "outputs": ["logits", "loss"]}
            """
        return Array(body.utf8)
    }

    @Test func exportedModelsAnswerAsInProcess() throws {
        let server = try ServerProcess()
        for model in ["mlp_torchscript", "mlp_dynamo", "cnn_torchscript", "cnn_dynamo", "preln_torchscript", "preln_dynamo"] {
            let body = try Self.request(model)
            let response = try HTTP.postJSON(port: server.port, path: "/backward", body: body)
            let expected = GraphService(importer: ONNXImporter()).respond(to: .backward, body: body)
            #expect(response.status == 200, "\(model)")
            #expect(response.body == expected.body, "\(model)")
            // Every parameter PyTorch differentiates (the fixture's list) has a gradient;
            // BatchNorm's running statistics (buffers) have none.
            let fixture = try JSONParser.parse(try LiveGraphTests.file("Tests/Fixtures/onnx/\(model).json"))
            let names = Set(try JSONParser.parse(response.body)["gradients"]?.objectValue?.keys ?? [])
            let wanted = Set(fixture["gradients"]?.objectValue?.keys ?? [])
            #expect(wanted.count >= 4 && wanted.isSubset(of: names), "\(model): \(names)")
            #expect(!names.contains("bn1.running_mean") && !names.contains("bn1.running_var"), "\(model)")
        }
    }

    @Test func theModelCountsAgainstTheBodyLimit() throws {
        let body = try Self.request("mlp_dynamo")
        let server = try ServerProcess(arguments: ["--max-body-bytes", "\(body.count - 1)"])
        let response = try HTTP.postJSON(port: server.port, path: "/backward", body: body)
        #expect(response.status == 413)
        let bad = Array(#"{"onnx": {"b64": "AAAA"}, "tensors": {}, "ops": []}"#.utf8)
        let problem = try HTTP.postJSON(port: server.port, path: "/forward", body: bad)
        #expect(problem.status == 422)
        #expect(try JSONParser.parse(problem.body)["errors"]?.arrayValue?.first?["pointer"]?.stringValue == "/onnx/b64")
    }
}

import AutogradGraph
import AutogradONNX
import Foundation
import SwiftProtobuf
import Testing

/// `/train` with a model answers the trained model as ONNX (`"onnx": {"b64": ...}`).
@Suite("ONNX training answer")
struct ONNXTrainTests {
    /// The committed CNN export (BatchNormalization kept) trained two SGD steps: the answer's
    /// model holds the answer's parameters, its buffers and other initializers unchanged,
    /// and a forward pass of it equals one of the original model with the trained values.
    @Test func trainAnswersTheModelWithTheTrainedInitializers() throws {
        let f = try ONNXFixture("cnn_torchscript")
        let body = f.request().string
            .replacingOccurrences(of: #""outputs": ["\#(f.output)", "loss"]"#, with: #""optimizer": {"name": "sgd", "lr": 0.1}, "steps": 2"#)
        let (status, doc) = try ONNXImportTests.respond(Array(body.utf8), .train)
        try #require(status == 200, "\(doc)")
        guard case .string(let b64)? = doc["onnx"]?["b64"] else {
            Issue.record("no onnx.b64 in \(doc)")
            return
        }
        let bytes = try Base64.decode(b64)
        let trained = try Onnx_ModelProto(serializedBytes: bytes)
        let original = try Onnx_ModelProto(serializedBytes: f.model)
        #expect(trained.graph.node == original.graph.node)
        let parameters = try #require(doc["parameters"]?.objectValue)
        #expect(parameters.keys.contains("conv1.weight") && !parameters.keys.contains("bn1.running_mean"))
        for (old, new) in zip(original.graph.initializer, trained.graph.initializer) {
            #expect(old.name == new.name && old.dims == new.dims && old.dataType == new.dataType)
            let values = Self.floats(new)
            if let p = parameters[new.name] {
                #expect(values == ONNXFixture.numbers(p["data"]).map { Float($0) }, "\(new.name)")
                #expect(values != Self.floats(old), "\(new.name) did not change")
            } else {
                #expect(values == Self.floats(old), "\(new.name) changed")
            }
        }
        // The trained model's forward = the original's with the trained values given.
        let forward = f.request().string.replacingOccurrences(of: #", "outputs": ["\#(f.output)", "loss"]"#, with: #", "outputs": ["\#(f.output)"]"#)
        let fromTrained = forward.replacingOccurrences(of: f.b64, with: b64)
        var overrides = ""
        for (name, p) in parameters.members { overrides += "\(JSONWriter.encode(.string(name)).string): {\"shape\": \(JSONWriter.encode(p["shape"] ?? .null).string), \"data\": \(JSONWriter.encode(p["data"] ?? .null).string)}, " }
        let fromOriginal = forward.replacingOccurrences(of: "\"tensors\": {", with: "\"tensors\": {" + overrides)
        let a = try ONNXImportTests.respond(Array(fromTrained.utf8), .forward)
        let b = try ONNXImportTests.respond(Array(fromOriginal.utf8), .forward)
        try #require(a.status == 200 && b.status == 200, "\(a.doc) \(b.doc)")
        let ya = ONNXFixture.numbers(a.doc["outputs"]?[f.output]?["data"]), yb = ONNXFixture.numbers(b.doc["outputs"]?[f.output]?["data"])
        #expect(ya.count == 9 && ya == yb)
        let y0 = ONNXFixture.numbers(f.doc["ort_output"]?["data"])
        #expect(y0.count == 9 && ya != y0.map { Double(Float($0)) })
    }

    /// A request without a model answers as before (no "onnx" member).
    @Test func trainWithoutAModelHasNoONNXMember() throws {
        let body = #"{"tensors": {"w": {"data": [1.0], "requires_grad": true}}, "ops": [{"id": "s", "op": "sum", "inputs": ["w"]}], "loss": "s", "optimizer": {"name": "sgd"}, "steps": 1}"#
        let (status, doc) = try ONNXImportTests.respond(Array(body.utf8), .train)
        #expect(status == 200 && doc["onnx"] == nil && doc["parameters"] != nil)
    }

    static func floats(_ t: Onnx_TensorProto) -> [Float] {
        if !t.rawData.isEmpty {
            return t.rawData.withUnsafeBytes { raw in
                (0..<(raw.count / 4)).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self))) }
            }
        }
        return t.floatData
    }
}

import AutogradGraph
import AutogradONNX
import Foundation
import SwiftProtobuf
import Testing

/// `/train` with an ONNX model answers the model back (`"onnx": {"b64": ...}`): the same
/// ModelProto with the trained initializers' values, every other byte as it came.
@Suite("ONNX train export")
struct ONNXTrainExportTests {
    static let service = ONNXImportTests.service

    /// `/train` for fixture `f`, `steps` steps of `optimizer`, `extra` appended to the body.
    static func train(_ f: ONNXFixture, steps: Int = 4, optimizer: String = #"{"name": "sgd", "lr": 0.1, "momentum": 0.9}"#, extra: String = "") -> [UInt8] {
        var body = f.request(extra: extra).string
        body = body.replacingOccurrences(of: "\"outputs\": [\"\(f.output)\", \"loss\"]", with: "\"optimizer\": \(optimizer), \"steps\": \(steps)")
        return Array(body.utf8)
    }

    /// The answer's model, decoded.
    static func model(_ doc: JSONValue) throws -> Onnx_ModelProto {
        let text = try #require(doc["onnx"]?["b64"]?.stringValue)
        #expect(doc["onnx"]?.objectValue?.keys == ["b64"])
        return try Onnx_ModelProto(serializedBytes: try Base64.decode(text))
    }

    /// A FLOAT tensor's values, from raw_data or float_data.
    static func floats(_ t: Onnx_TensorProto) -> [Double] {
        guard !t.rawData.isEmpty else { return t.floatData.map(Double.init) }
        return stride(from: 0, to: t.rawData.count, by: 4).map { i in
            Double(Float(bitPattern: t.rawData[i..<i + 4].reversed().reduce(UInt32(0)) { $0 << 8 | UInt32($1) }))
        }
    }

    /// A float32 tensor's values as the answer's JSON gives them (shortest decimals), as floats.
    static func answered(_ v: JSONValue?) -> [Double] {
        ONNXFixture.numbers(v?["data"]).map { Double(Float($0)) }
    }

    /// The model without its initializers' values (names, types and dims kept), serialized.
    static func skeleton(_ m: Onnx_ModelProto) throws -> [UInt8] {
        var m = m
        for i in m.graph.initializer.indices {
            m.graph.initializer[i].rawData = Data()
            m.graph.initializer[i].floatData = []
        }
        return try m.serializedBytes()
    }

    @Test(arguments: ONNXFixture.all.filter { $0.hasPrefix("mlp") })
    func theTrainedModelCarriesTheAnswersParameters(_ name: String) throws {
        let f = try ONNXFixture(name)
        let original = try Onnx_ModelProto(serializedBytes: f.model)
        let (status, doc) = try ONNXImportTests.respond(Self.train(f), .train)
        try #require(status == 200, "\(doc)")
        let trained = try Self.model(doc)
        let parameters = try #require(doc["parameters"]?.objectValue)
        #expect(parameters.keys.sorted() == original.graph.initializer.map(\.name).sorted())
        for (old, new) in zip(original.graph.initializer, trained.graph.initializer) {
            #expect(new.name == old.name && new.dataType == old.dataType && new.dims == old.dims)
            // The field that held the values holds them still (the exporters write raw_data).
            #expect(new.rawData.isEmpty == old.rawData.isEmpty && new.floatData.isEmpty == old.floatData.isEmpty)
            let values = Self.floats(new)
            #expect(values == Self.answered(parameters[new.name]), "\(new.name)")
            #expect(values != Self.floats(old), "\(new.name) did not train")
        }
        // Everything but the values is the request's model, byte for byte.
        #expect(try Self.skeleton(trained) == (try Self.skeleton(original)))
        // The losses went down, and the model answered back computes the trained forward.
        let losses = ONNXFixture.numbers(doc["losses"])
        #expect(losses.count == 4 && losses[3] < losses[0])
    }

    @Test func untrainedTheModelComesBackByteForByte() throws {
        let f = try ONNXFixture("mlp_dynamo")
        let (status, doc) = try ONNXImportTests.respond(Self.train(f, steps: 2, optimizer: #"{"name": "sgd", "lr": 0}"#), .train)
        try #require(status == 200, "\(doc)")
        #expect(doc["onnx"]?["b64"]?.stringValue == f.b64)
        // /backward and /forward answer as before: no "onnx" member.
        let (s2, d2) = try ONNXImportTests.respond(f.request(), .backward)
        #expect(s2 == 200 && d2["onnx"] == nil && d2.objectValue?.keys == ["dtype", "outputs", "gradients"])
    }

    @Test func theModelAnsweredBackComputesWhatTheTrainedParametersDo() throws {
        let f = try ONNXFixture("mlp_torchscript")
        let (status, doc) = try ONNXImportTests.respond(Self.train(f, optimizer: #"{"name": "adam", "lr": 0.05}"#), .train)
        try #require(status == 200, "\(doc)")
        let b64 = try #require(doc["onnx"]?["b64"]?.stringValue)
        // The answered model, imported again, against the original with the parameters given.
        let again = f.request().string.replacingOccurrences(of: f.b64, with: b64)
        let (s1, fromModel) = try ONNXImportTests.respond(Array(again.utf8), .forward)
        var params: [String] = []
        for (k, v) in doc["parameters"]?.objectValue?.members ?? [] {
            params.append("\(JSONWriter.encode(.string(k)).string): \(JSONWriter.encode(v).string)")
        }
        let overridden = f.request().string.replacingOccurrences(of: "\"tensors\": {", with: "\"tensors\": {\(params.joined(separator: ", ")), ")
        let (s2, fromParameters) = try ONNXImportTests.respond(Array(overridden.utf8), .forward)
        let (_, before) = try ONNXImportTests.respond(f.request(), .forward)
        try #require(s1 == 200 && s2 == 200, "\(fromModel) \(fromParameters)")
        let a = ONNXFixture.numbers(fromModel["outputs"]?[f.output]?["data"])
        #expect(a.count == 15 && a == ONNXFixture.numbers(fromParameters["outputs"]?[f.output]?["data"]))
        #expect(a != ONNXFixture.numbers(before["outputs"]?[f.output]?["data"]))
    }

    /// x [4, 3] -> MatMul w (float_data) -> Add b (raw_data) -> Mul half (rank 0: a
    /// constant) -> Relu -> Reshape to shape (int64: a constant) [2, 10] -> "y".
    static func mixedModel() throws -> Onnx_ModelProto {
        var g = Onnx_GraphProto()
        g.name = "mixed"
        g.input = [ONNXImportTests.valueInfo("x", [4, 3])]
        g.output = [ONNXImportTests.valueInfo("y", [2, 10])]
        var b = ONNXImportTests.floatTensor("b", [5], [])
        b.rawData = Data([Float](repeating: 0.25, count: 5).flatMap { v in withUnsafeBytes(of: v.bitPattern.littleEndian) { Array($0) } })
        g.initializer = [
            ONNXImportTests.floatTensor("w", [3, 5], (0..<15).map { Float($0 % 7) / 7 - 0.4 }), b,
            ONNXImportTests.floatTensor("half", [], [0.5]), ONNXImportTests.intTensor("shape", [2], [2, 10]),
        ]
        g.node = [
            ONNXImportTests.node("MatMul", ["x", "w"], ["h"], name: "mm"), ONNXImportTests.node("Add", ["h", "b"], ["hb"]),
            ONNXImportTests.node("Mul", ["hb", "half"], ["hh"]), ONNXImportTests.node("Relu", ["hh"], ["r"]),
            ONNXImportTests.node("Reshape", ["r", "shape"], ["y"]),
        ]
        g.docString = "kept as it came"
        var m = Onnx_ModelProto()
        m.irVersion = 8
        m.producerName = "ONNXTrainExportTests"
        var o = Onnx_OperatorSetIdProto()
        o.version = 17
        m.opsetImport = [o]
        m.graph = g
        return m
    }

    static func mixedBody(_ m: Onnx_ModelProto, tensors: String = "", onnx: String = "", loss: String = "sum") throws -> [UInt8] {
        let b64 = Base64.encode(try m.serializedBytes())
        let x = (0..<12).map { String(Double($0) / 6 - 0.9) }.joined(separator: ", ")
        return Array("""
            {"dtype": "float32", "onnx": {"b64": "\(b64)"\(onnx)}, "tensors": {"x": {"shape": [4, 3], "data": [\(x)]}\(tensors)},
             "ops": [{"id": "sq", "op": "mul", "inputs": ["y", "y"]}, {"id": "loss", "op": "\(loss)", "inputs": ["sq"]}],
             "loss": "loss", "optimizer": {"name": "sgd", "lr": 0.2}, "steps": 3}
            """.utf8)
    }

    @Test func constantInitializersAreUnchangedAndBothValueFieldsAreWritten() throws {
        let m = try Self.mixedModel()
        let (status, doc) = try ONNXImportTests.respond(try Self.mixedBody(m), .train)
        try #require(status == 200, "\(doc)")
        #expect(doc["parameters"]?.objectValue?.keys == ["w", "b"])
        let trained = try Self.model(doc)
        let byName = Dictionary(uniqueKeysWithValues: trained.graph.initializer.map { ($0.name, $0) })
        // The rank-0 float and the int64 initializers are constants: untouched.
        #expect(byName["half"] == m.graph.initializer[2] && byName["shape"] == m.graph.initializer[3])
        // w stays in float_data, b in raw_data, each with the answer's values.
        let w = try #require(byName["w"]), b = try #require(byName["b"])
        #expect(w.rawData.isEmpty && w.floatData.count == 15 && b.floatData.isEmpty && b.rawData.count == 20)
        #expect(Self.floats(w) == Self.answered(doc["parameters"]?["w"]))
        #expect(Self.floats(b) == Self.answered(doc["parameters"]?["b"]))
        #expect(Self.floats(w) != Self.floats(m.graph.initializer[0]) && Self.floats(b) != Self.floats(m.graph.initializer[1]))
        #expect(trained.graph.docString == "kept as it came" && trained.producerName == "ONNXTrainExportTests")
        #expect(try Self.skeleton(trained) == (try Self.skeleton(m)))
    }

    @Test func overriddenInitializersAreWrittenBackAndTrainableLimitsTheTraining() throws {
        let m = try Self.mixedModel()
        // b overridden (not trained: trainable names w only), half overridden (a constant).
        let body = try Self.mixedBody(
            m, tensors: #", "b": {"shape": [5], "data": [1, 2, 3, 4, 5]}, "half": {"shape": [], "data": [2]}"#,
            onnx: #", "trainable": ["w"]"#)
        let (status, doc) = try ONNXImportTests.respond(body, .train)
        try #require(status == 200, "\(doc)")
        #expect(doc["parameters"]?.objectValue?.keys == ["w"])
        let byName = Dictionary(uniqueKeysWithValues: try Self.model(doc).graph.initializer.map { ($0.name, $0) })
        #expect(Self.floats(try #require(byName["b"])) == [1, 2, 3, 4, 5])
        #expect(Self.floats(try #require(byName["half"])) == [2])
        #expect(byName["shape"] == m.graph.initializer[3])
        #expect(Self.floats(try #require(byName["w"])) == Self.answered(doc["parameters"]?["w"]))
    }

    @Test func anIntegerInitializerTheModelCannotHoldIs422() throws {
        let m = try Self.mixedModel()
        // The shape initializer overridden: trained, or with a value int64 lacks. (The
        // override of an integer initializer makes it a run-time value, which Reshape
        // refuses, so a model that reads it as a number: Add of a Cast.)
        var g = m.graph
        g.initializer.append(ONNXImportTests.intTensor("k", [5], [1, 2, 3, 4, 5]))
        var cast = ONNXImportTests.node("Cast", ["k"], ["kf"], ints: ["to": 1])
        cast.name = "cast"
        g.node.insert(cast, at: 0)
        g.node[2] = ONNXImportTests.node("Add", ["h", "kf"], ["hb"])
        var m2 = m
        m2.graph = g
        let plain = try ONNXImportTests.respond(try Self.mixedBody(m2), .train)
        try #require(plain.status == 200, "\(plain.doc)")
        for (tensor, pointer) in [
            (#", "k": {"shape": [5], "data": [1, 2, 3, 4, 5], "requires_grad": true}"#, "/tensors/k/requires_grad"),
            (#", "k": {"shape": [5], "data": [1, 2, 3.5, 4, 5]}"#, "/tensors/k"),
        ] {
            let (status, doc) = try ONNXImportTests.respond(try Self.mixedBody(m2, tensors: tensor), .train)
            #expect(status == 422, "\(doc)")
            #expect(doc["errors"]?.arrayValue?.compactMap { $0["pointer"]?.stringValue } == [pointer], "\(doc)")
            // /forward reads the same override without writing anything back.
            let forward = try Self.mixedBody(m2, tensors: tensor).string.replacingOccurrences(of: #", "optimizer": {"name": "sgd", "lr": 0.2}, "steps": 3"#, with: "")
            #expect(try ONNXImportTests.respond(Array(forward.utf8), .forward).status == 200)
        }
        // An override with integers the type holds is written back.
        let (status, doc) = try ONNXImportTests.respond(try Self.mixedBody(m2, tensors: #", "k": {"shape": [5], "data": [0, -1, 7, 0, 3]}"#), .train)
        try #require(status == 200, "\(doc)")
        let k = try #require(try Self.model(doc).graph.initializer.first { $0.name == "k" })
        #expect(k.int64Data == [0, -1, 7, 0, 3] && k.rawData.isEmpty && k.dataType == 7)
    }
}

/// Models `make fuzz`'s ONNX mode found answered wrongly (Fuzz/onnx-regressions): each now
/// a 422 with its pointer.
@Suite("ONNX fuzz regressions")
struct ONNXFuzzRegressionTests {
    @Test func twoInitializersOfOneNameAre422() throws {
        var g = Onnx_GraphProto()
        g.input = [ONNXImportTests.valueInfo("x", [2, 3])]
        g.output = [ONNXImportTests.valueInfo("y", [2, 3])]
        g.initializer = [ONNXImportTests.floatTensor("w", [3], [1, 1, 1]), ONNXImportTests.floatTensor("w", [3], [2, 2, 2])]
        g.node = [ONNXImportTests.node("Add", ["x", "w"], ["y"])]
        let body = """
            {"onnx": {"b64": "\(try ONNXImportTests.b64(g))"}, "tensors": {"x": {"shape": [2, 3], "data": [1, 2, 3, 4, 5, 6]}},
             "ops": [{"id": "s", "op": "sum", "inputs": ["y"]}], "loss": "s"}
            """
        let (status, doc) = try ONNXImportTests.respond(Array(body.utf8))
        #expect(status == 422)
        #expect(doc["errors"]?.arrayValue?.first?["pointer"]?.stringValue == "/onnx")
        #expect(doc["errors"]?.arrayValue?.first?["detail"]?.stringValue?.contains("initializer 1: \"w\" names an earlier initializer too") == true, "\(doc)")
    }
}

extension ONNXTrainExportTests {
    /// A layout the splice does not edit (the graph field twice, which protobuf merges):
    /// the answer is the model serialized anew, with the trained values all the same.
    @Test func aGraphGivenTwiceIsSerializedAnew() throws {
        let m = try Self.mixedModel()
        var extra = Onnx_ModelProto()
        extra.graph.docString = "merged"
        let bytes: [UInt8] = try m.serializedBytes() + extra.serializedBytes()
        let body = try Self.mixedBody(m).string.replacingOccurrences(of: Base64.encode(try m.serializedBytes()), with: Base64.encode(bytes))
        let (status, doc) = try ONNXImportTests.respond(Array(body.utf8), .train)
        try #require(status == 200, "\(doc)")
        let answered = try Base64.decode(try #require(doc["onnx"]?["b64"]?.stringValue))
        let trained = try Onnx_ModelProto(serializedBytes: answered)
        #expect(trained.graph.docString == "merged" && answered.count < bytes.count)
        let w = try #require(trained.graph.initializer.first { $0.name == "w" })
        #expect(Self.floats(w) == Self.answered(doc["parameters"]?["w"]) && Self.floats(w) != Self.floats(m.graph.initializer[0]))
    }
}

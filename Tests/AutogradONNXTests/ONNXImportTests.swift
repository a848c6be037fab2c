import AutogradGraph
import AutogradONNX
import Foundation
import SwiftProtobuf
import Testing

/// Importing ONNX models in process (`GraphService` with `ONNXImporter`): the committed
/// exports against PyTorch's gradients and onnxruntime's forward, and each error class.
@Suite("ONNX import")
struct ONNXImportTests {
    static let service = GraphService(importer: ONNXImporter())

    static func respond(_ body: [UInt8], _ endpoint: Endpoint = .backward) throws -> (status: Int, doc: JSONValue) {
        let r = service.respond(to: endpoint, body: body)
        return (r.status, try JSONParser.parse(r.body))
    }

    @Test(arguments: ONNXFixture.all)
    func fixtureMatchesPyTorchAndOnnxruntime(_ name: String) throws {
        let f = try ONNXFixture(name)
        let (status, doc) = try Self.respond(f.request())
        try #require(status == 200, "\(doc)")
        // Forward: onnxruntime's output; loss and gradients: PyTorch's (float32 on both sides).
        let out = doc["outputs"]?.objectValue.map { JSONValue.object($0) }
        let expectedOut = JSONValue.object(JSONObject([(key: f.output, value: f.doc["ort_output"] ?? .null)]))
        #expect(ONNXFixture.mismatches(out, expectedOut, rtol: 1e-5, atol: 1e-6) == [])
        let loss = ONNXFixture.numbers(doc["outputs"]?["loss"]?["data"])
        #expect(loss.count == 1 && abs(loss[0] - (f.doc["loss"]?.numberValue?.value ?? .nan)) <= 1e-6 * (1 + abs(loss[0])))
        let grads = f.doc["gradients"]
        #expect((grads?.objectValue?.count ?? 0) >= 4)
        #expect(ONNXFixture.mismatches(doc["gradients"], grads, rtol: 1e-5, atol: 1e-6) == [])
    }

    @Test func aRequestTensorOverridesAnInitializerAndTrainableChoosesTheGradients() throws {
        let f = try ONNXFixture("mlp_torchscript")
        let base = try Self.respond(f.request())
        // fc2.bias overridden with zeros: the logits move by exactly minus the old bias.
        var body = f.request().string
        body = body.replacingOccurrences(of: "\"tensors\": {", with: "\"tensors\": {\"fc2.bias\": {\"data\": [0, 0, 0]}, ")
        body = body.replacingOccurrences(of: "\"onnx\": {\"b64\": \"\(f.b64)\"}", with: "\"onnx\": {\"b64\": \"\(f.b64)\", \"trainable\": [\"fc2.weight\"]}")
        let (status, doc) = try Self.respond(Array(body.utf8))
        try #require(status == 200, "\(doc)")
        #expect(doc["gradients"]?.objectValue?.keys == ["fc2.weight"])
        let before = ONNXFixture.numbers(base.doc["outputs"]?[f.output]?["data"])
        let after = ONNXFixture.numbers(doc["outputs"]?[f.output]?["data"])
        // The model's own fc2.bias, read back as an output: the logits moved by exactly it.
        let read = f.request().string.replacingOccurrences(of: "\"outputs\": [\"\(f.output)\", \"loss\"]", with: "\"outputs\": [\"fc2.bias\"]")
        let bias = ONNXFixture.numbers(try Self.respond(Array(read.utf8), .forward).doc["outputs"]?["fc2.bias"]?["data"])
        try #require(bias.count == 3 && before.count == 15 && after.count == 15)
        for i in 0..<15 { #expect(abs(after[i] - (before[i] - bias[i % 3])) <= 1e-6, "\(i)") }
    }

    /// Shape arithmetic at import: x [2, 3, 4] -> Shape -> Gather(0) -> Unsqueeze ->
    /// Concat with [-1] -> Reshape, i.e. x.reshape(x.shape[0], -1), then Relu.
    @Test func shapeArithmeticIsEvaluatedAtImport() throws {
        var g = Onnx_GraphProto()
        g.input = [Self.valueInfo("x", [2, 3, 4])]
        g.initializer = [Self.intTensor("zero", [], [0]), Self.intTensor("minus1", [1], [-1]), Self.intTensor("axes0", [1], [0])]
        g.node = [
            Self.node("Shape", ["x"], ["s"]),
            Self.node("Gather", ["s", "zero"], ["n"]),
            Self.node("Unsqueeze", ["n", "axes0"], ["n1"]),
            Self.node("Concat", ["n1", "minus1"], ["shape"], ints: ["axis": 0]),
            Self.node("Reshape", ["x", "shape"], ["flat"]),
            Self.node("Relu", ["flat"], ["y"]),
        ]
        let x = (0..<24).map { Double($0) - 12 }
        let body = """
            {"onnx": {"b64": "\(try Self.b64(g))"}, "tensors": {"x": {"shape": [2, 3, 4], "data": \(x), "requires_grad": true}},
             "ops": [{"id": "loss", "op": "sum", "inputs": ["y"]}], "loss": "loss", "outputs": ["y", "shape"]}
            """
        let (status, doc) = try Self.respond(Array(body.utf8))
        try #require(status == 200, "\(doc)")
        #expect(ONNXFixture.numbers(doc["outputs"]?["y"]?["shape"]) == [2, 12])
        #expect(ONNXFixture.numbers(doc["outputs"]?["y"]?["data"]) == x.map { max($0, 0) })
        #expect(ONNXFixture.numbers(doc["outputs"]?["shape"]?["data"]) == [2, -1])
        #expect(ONNXFixture.numbers(doc["gradients"]?["x"]?["data"]) == x.map { $0 > 0 ? 1 : 0 })
    }

    /// Gemm's general form: alpha (A^T B) + beta C, with C broadcast.
    @Test func gemmWithTransposesAlphaAndBeta() throws {
        var g = Onnx_GraphProto()
        g.input = [Self.valueInfo("a", [3, 2]), Self.valueInfo("b", [3, 2]), Self.valueInfo("c", [2])]
        var n = Self.node("Gemm", ["a", "b", "c"], ["y"], ints: ["transA": 1])
        n.attribute += [Self.floatAttr("alpha", 0.5), Self.floatAttr("beta", 2)]
        g.node = [n]
        let body = """
            {"onnx": {"b64": "\(try Self.b64(g))"}, "tensors": {"a": {"data": [[1, 2], [3, 4], [5, 6]]},
             "b": {"data": [[1, 0], [0, 1], [1, 1]]}, "c": {"data": [10, 20]}}, "ops": []}
            """
        let (status, doc) = try Self.respond(Array(body.utf8), .forward)
        try #require(status == 200, "\(doc)")
        // A^T B = [[6, 8], [8, 10]]; 0.5 * that + 2 * [10, 20].
        #expect(ONNXFixture.numbers(doc["outputs"]?["y"]?["data"]) == [23, 44, 24, 45])
    }

    /// nn.Linear's export, Gemm with transB = 1 (W [out, in]) and a C: one
    /// `linear_transposed` op, no `transpose`; W's gradient comes out [out, in].
    @Test func gemmWithTransposedWeightIsOneOpWithoutTransposes() throws {
        var g = Onnx_GraphProto()
        g.input = [Self.valueInfo("x", [2, 3]), Self.valueInfo("W", [2, 3]), Self.valueInfo("b", [2])]
        g.node = [Self.node("Gemm", ["x", "W", "b"], ["y"], ints: ["transB": 1])]
        let body = """
            {"onnx": {"b64": "\(try Self.b64(g))"}, "tensors": {"x": {"data": [[1, 2, 3], [4, 5, 6]], "requires_grad": true},
             "W": {"data": [[1, 0, -1], [2, 1, 0]], "requires_grad": true}, "b": {"data": [10, 20], "requires_grad": true}},
             "ops": [{"id": "loss", "op": "sum", "inputs": ["y"]}], "loss": "loss", "outputs": ["y"]}
            """
        let (status, doc) = try Self.respond(Array(body.utf8))
        try #require(status == 200, "\(doc)")
        // y = x Wᵀ + b; with dL/dy = 1: dx = 1 W, dW = 1ᵀ x (the column sums of x per row), db = 2.
        #expect(ONNXFixture.numbers(doc["outputs"]?["y"]?["data"]) == [8, 24, 8, 33])
        #expect(ONNXFixture.numbers(doc["gradients"]?["x"]?["data"]) == [3, 1, -1, 3, 1, -1])
        #expect(ONNXFixture.numbers(doc["gradients"]?["W"]?["shape"]) == [2, 3])
        #expect(ONNXFixture.numbers(doc["gradients"]?["W"]?["data"]) == [5, 7, 9, 5, 7, 9])
        #expect(ONNXFixture.numbers(doc["gradients"]?["b"]?["data"]) == [2, 2])
        let dot = String(decoding: Self.service.respond(to: .graph, body: Array(body.utf8)).body, as: UTF8.self)
        #expect(dot.contains("linear_transposed"))
        #expect(!dot.replacingOccurrences(of: "linear_transposed", with: "").contains("transpose"), "\(dot)")
    }

    /// Gemm with transA = transB = 1 and no C: one product reading both operands
    /// transposed (`matmul_transposed`), no `transpose`, and the gradients in A's and B's layouts.
    @Test func gemmWithBothTransposesReadsThemInPlace() throws {
        var g = Onnx_GraphProto()
        g.input = [Self.valueInfo("a", [3, 2]), Self.valueInfo("b", [2, 3])]
        g.node = [Self.node("Gemm", ["a", "b"], ["y"], ints: ["transA": 1, "transB": 1])]
        let body = """
            {"onnx": {"b64": "\(try Self.b64(g))"}, "tensors": {"a": {"data": [[1, 2], [3, 4], [5, 6]], "requires_grad": true},
             "b": {"data": [[1, 0, 1], [0, 1, 1]], "requires_grad": true}},
             "ops": [{"id": "loss", "op": "sum", "inputs": ["y"]}], "loss": "loss", "outputs": ["y"]}
            """
        let (status, doc) = try Self.respond(Array(body.utf8))
        try #require(status == 200, "\(doc)")
        // Aᵀ Bᵀ = [[6, 8], [8, 10]]; d(Aᵀ) = 1 B, d(Bᵀ) = A 1, each transposed back.
        #expect(ONNXFixture.numbers(doc["outputs"]?["y"]?["data"]) == [6, 8, 8, 10])
        #expect(ONNXFixture.numbers(doc["gradients"]?["a"]?["data"]) == [1, 1, 1, 1, 2, 2])
        #expect(ONNXFixture.numbers(doc["gradients"]?["b"]?["data"]) == [3, 7, 11, 3, 7, 11])
        let dot = String(decoding: Self.service.respond(to: .graph, body: Array(body.utf8)).body, as: UTF8.self)
        #expect(dot.contains("matmul_transposed"))
        #expect(!dot.replacingOccurrences(of: "matmul_transposed", with: "").contains("transpose"), "\(dot)")
    }

    static let errorCases: [(label: String, pointer: String, detail: String)] = [
        ("not base64", "/onnx/b64", "not base64"),
        ("not a ModelProto", "/onnx/b64", "not an ONNX ModelProto"),
        ("unsupported op", "/onnx", "node 1 \"n1\" (Frobnicate): operator Frobnicate is not supported"),
        ("unsupported domain", "/onnx", "domain \"com.example\""),
        ("unsupported attribute", "/onnx", "node 0 \"n0\" (Relu): attribute \"bogus\" is not supported"),
        ("missing input", "/tensors/x", "graph input \"x\" must be given"),
        ("wrong shape", "/tensors/x", "the model declares [2, 3]"),
        ("dtype", "/dtype", "the model computes in float32"),
        ("op id clash", "/ops/0/id", "\"y\" is a name of the ONNX model"),
        ("tensor clash", "/tensors/y", "is computed by the ONNX model"),
        ("unknown trainable", "/onnx/trainable/0", "no initializer \"nope\""),
        ("old opset", "/onnx", "opset 9 of the default domain is not supported"),
    ]

    @Test(arguments: errorCases.indices)
    func everyErrorIsA422WithItsPointer(_ i: Int) throws {
        let c = Self.errorCases[i]
        var g = Onnx_GraphProto()
        g.input = [Self.valueInfo("x", [2, 3])]
        g.initializer = [Self.floatTensor("w", [3], [1, 2, 3])]
        g.node = [Self.node("Relu", ["x"], ["r"], name: "n0"), Self.node("Mul", ["r", "w"], ["y"], name: "n1")]
        var tensors = #""x": {"data": [[1, 2, 3], [4, 5, 6]]}"#
        var extra = ""
        var opset: Int64 = 17
        var b64: String?
        switch c.label {
        case "not base64": b64 = "not*base64"
        case "not a ModelProto": b64 = Base64.encode([0xff, 0xff, 0xff, 0xff, 0x0f])
        case "unsupported op": g.node[1].opType = "Frobnicate"
        case "unsupported domain": g.node[1].domain = "com.example"
        case "unsupported attribute": g.node[0].attribute = [Self.floatAttr("bogus", 1)]
        case "missing input": tensors = #""z": {"data": 1}"#
        case "wrong shape": tensors = #""x": {"data": [[1, 2], [4, 5]]}"#
        case "dtype": extra = #", "dtype": "float64""#
        case "op id clash": extra = #", "ops": [{"id": "y", "op": "neg", "inputs": ["x"]}]"#
        case "tensor clash": tensors += #", "y": {"data": 1}"#
        case "unknown trainable": extra = #", "trainable_marker": 0"#
        case "old opset": opset = 9
        default: break
        }
        let model = try b64 ?? Self.b64(g, opset: opset)
        var onnx = #"{"b64": "\#(model)"}"#
        if c.label == "unknown trainable" {
            onnx = #"{"b64": "\#(model)", "trainable": ["nope"]}"#
            extra = ""
        }
        let ops = extra.contains("\"ops\"") ? "" : #", "ops": []"#
        let body = #"{"onnx": \#(onnx), "tensors": {\#(tensors)}\#(ops)\#(extra)}"#
        let (status, doc) = try Self.respond(Array(body.utf8), .forward)
        #expect(status == 422, "\(c.label): \(doc)")
        let errors = doc["errors"]?.arrayValue ?? []
        #expect(errors.count == 1, "\(c.label): \(doc)")
        #expect(errors.first?["pointer"]?.stringValue == c.pointer, "\(c.label): \(doc)")
        #expect(errors.first?["detail"]?.stringValue?.contains(c.detail) == true, "\(c.label): \(doc)")
    }

    @Test func withoutAnImporterTheFieldIsUnknown() throws {
        let body = #"{"onnx": {"b64": ""}, "tensors": {}, "ops": []}"#
        let r = GraphService().respond(to: .forward, body: Array(body.utf8))
        #expect(r.status == 422)
        #expect(try JSONParser.parse(r.body)["errors"]?.arrayValue?.first?["pointer"]?.stringValue == "/onnx")
    }

    /// Corrupted models (bytes flipped, truncated) answer 200 or a problem, never trap.
    @Test func corruptedModelsNeverTrap() throws {
        let f = try ONNXFixture("mlp_torchscript")
        var rng = SystemRandomNumberGenerator()
        var statuses: Set<Int> = []
        for k in 0..<400 {
            var bytes = f.model
            if k % 4 == 0 {
                bytes = Array(bytes.prefix(Int.random(in: 0..<bytes.count, using: &rng)))
            } else {
                for _ in 0..<(1 + k % 5) { bytes[Int.random(in: 0..<bytes.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng) }
            }
            let body = f.request().string.replacingOccurrences(of: f.b64, with: Base64.encode(bytes))
            let r = Self.service.respond(to: .backward, body: Array(body.utf8))
            statuses.insert(r.status)
            #expect(r.status == 200 || r.status == 422 || r.status == 400, "\(r.body.string)")
        }
        #expect(statuses.contains(422))
    }

    // MARK: building models

    static func b64(_ g: Onnx_GraphProto, opset: Int64 = 17) throws -> String {
        var m = Onnx_ModelProto()
        m.irVersion = 8
        var o = Onnx_OperatorSetIdProto()
        o.version = opset
        m.opsetImport = [o]
        m.graph = g
        return Base64.encode(try m.serializedBytes())
    }

    static func valueInfo(_ name: String, _ dims: [Int64], type: Int32 = 1) -> Onnx_ValueInfoProto {
        var v = Onnx_ValueInfoProto()
        v.name = name
        var t = Onnx_TypeProto.Tensor()
        t.elemType = type
        var s = Onnx_TensorShapeProto()
        s.dim = dims.map { d in
            var dim = Onnx_TensorShapeProto.Dimension()
            dim.dimValue = d
            return dim
        }
        t.shape = s
        v.type.tensorType = t
        return v
    }

    static func intTensor(_ name: String, _ dims: [Int64], _ values: [Int64]) -> Onnx_TensorProto {
        var t = Onnx_TensorProto()
        t.name = name
        t.dims = dims
        t.dataType = 7
        t.int64Data = values
        return t
    }

    static func floatTensor(_ name: String, _ dims: [Int64], _ values: [Float]) -> Onnx_TensorProto {
        var t = Onnx_TensorProto()
        t.name = name
        t.dims = dims
        t.dataType = 1
        t.floatData = values
        return t
    }

    static func floatAttr(_ name: String, _ v: Float) -> Onnx_AttributeProto {
        var a = Onnx_AttributeProto()
        a.name = name
        a.type = .float
        a.f = v
        return a
    }

    static func node(_ op: String, _ inputs: [String], _ outputs: [String], name: String = "", ints: [String: Int64] = [:]) -> Onnx_NodeProto {
        var n = Onnx_NodeProto()
        n.opType = op
        n.input = inputs
        n.output = outputs
        n.name = name
        for (k, v) in ints.sorted(by: { $0.key < $1.key }) {
            var a = Onnx_AttributeProto()
            a.name = k
            a.type = .int
            a.i = v
            n.attribute.append(a)
        }
        return n
    }
}

@Suite("ONNX catalog")
struct ONNXCatalogTests {
    @Test func getOpsListsTheImportedOperatorsAndOpsets() throws {
        let doc = try JSONParser.parse(ONNXImportTests.service.operations().body)
        #expect(doc["onnx"]?["opsets"]?.arrayValue?.compactMap { $0.numberValue?.value } == [13, 28])
        let ops = doc["onnx"]?["ops"]?.arrayValue?.compactMap(\.stringValue) ?? []
        #expect(ops == ops.sorted() && ops.contains("Gemm") && ops.contains("ReduceMean") && ops.contains("Conv") && ops.count == 62)
        // The engine's ops are listed as before, first.
        let plain = try JSONParser.parse(GraphService().operations().body)
        #expect(doc["ops"] == plain["ops"] && plain["onnx"] == nil)
    }
}

// AUTOGRAD_FUZZ_INPUT=onnx: every input is the bytes of an ONNX ModelProto, sent as a
// request's `"onnx": {"b64": ...}` (the decode path every such request takes), on the
// seed corpus Fuzz/onnx-corpus (Fuzz/make_onnx_corpus.py).
import AutogradGraph
import AutogradONNX
import SwiftProtobuf

/// The model alone, to every endpoint (whatever the bytes: an answer or a problem, never a
/// trap); then, when the bytes are a ModelProto, with a value for every graph input it
/// declares and a loss over its first output, so that its nodes are imported, planned,
/// run, differentiated and trained. A 200 from `/train` must carry the model back
/// (`"onnx": {"b64"}`), decodable and importable again: `/forward` on it answers 200 too.
///
/// Each input has a service of its own: its importer's `ModelCache` (exercised here, the
/// model going to every endpoint) goes with it. Kept across inputs, the cached models'
/// `Data` would read as leaks to LeakSanitizer, which does not recognise a reference Swift
/// stores with an enum's tag in the pointer's spare bits (`Data`'s representation).
func checkONNX(_ model: [UInt8]) {
    let service = makeService()
    func check(_ body: [UInt8]) { autograd_fuzz.check(body, on: service) }
    @discardableResult
    func verify(_ endpoint: Endpoint, _ body: [UInt8]) -> (status: Int, json: JSONValue?) { autograd_fuzz.verify(endpoint, body, on: service) }
    let b64 = JSONWriter.encode(.string(Base64.encode(model)))
    let alone = Array(#"{"onnx": {"b64": "#.utf8) + b64 + Array(#"}, "tensors": {}}"#.utf8)
    check(alone)

    var options = BinaryDecodingOptions()
    options.messageDepthLimit = 64
    guard let proto = try? Onnx_ModelProto(serializedBytes: model, options: options), let request = ONNXFuzzRequest(proto) else { return }
    for endpoint in Endpoint.allCases where endpoint != .train { verify(endpoint, request.body(model: b64)) }
    let trained = verify(.train, request.body(model: b64, train: true))
    guard trained.status == 200 else { return }
    guard case .string(let text)? = trained.json?["onnx"]?["b64"], let bytes = try? Base64.decode(text) else {
        fatalError("/train: a 200 without \"onnx\": {\"b64\"}")
    }
    guard (try? Onnx_ModelProto(serializedBytes: bytes, options: options)) != nil else {
        fatalError("/train: the answered model does not decode")
    }
    // The trained values may overflow to inf and NaN; the model still imports and runs.
    let again = verify(.forward, request.body(model: JSONWriter.encode(.string(text))))
    guard again.status == 200 || again.status == 503 else { fatalError("/forward on the model /train answered: status \(again.status): \(again.json.map { JSONWriter.encode($0) }.map { String(decoding: $0, as: UTF8.self) } ?? "")") }
}

/// The rest of a request for a decoded model: its dtype, a tensor for each graph input that
/// is not an initializer (declared dimensions, 2 for symbolic or out-of-range ones; small
/// integers for integer inputs, so that indices are in range), a sum of its first output
/// as the loss.
struct ONNXFuzzRequest {
    let dtype: String
    let tensors: [UInt8]
    let output: String

    init?(_ model: Onnx_ModelProto) {
        let graph = model.graph
        guard let first = graph.output.first?.name, !first.isEmpty else { return nil }
        output = first
        let types = graph.initializer.map(\.dataType) + graph.input.map(\.type.tensorType.elemType)
        dtype = types.contains(11) ? "float64" : "float32"
        let initializers = Set(graph.initializer.map(\.name))
        var w = JSONWriter()
        w.raw("{")
        var elements = 0
        var count = 0
        for input in graph.input where !initializers.contains(input.name) {
            let tensorType = input.type.tensorType
            let shape: [Int] = tensorType.hasShape
                ? tensorType.shape.dim.map { dim in
                    if case .dimValue(let v)? = dim.value, (0...64).contains(v) { return Int(v) }
                    return 2
                }
                : [2]
            guard shape.count <= 8 else { return nil }
            let n = shape.reduce(1, *)
            elements += n
            guard elements <= 1 << 12 else { return nil }
            if count > 0 { w.raw(",") }
            count += 1
            w.key(input.name)
            w.raw("{\"shape\":")
            w.ints(shape)
            w.raw(",\"data\":[")
            let integer = ![1, 11, 0].contains(tensorType.elemType)
            for i in 0..<n {
                if i > 0 { w.raw(",") }
                if integer { w.int(i % 2) } else { w.number(Double((i * 7) % 11) / 5 - 1) }
            }
            w.raw("]}")
        }
        w.raw("}")
        tensors = w.bytes
    }

    /// The body for every endpoint but `/train` (`/jvp` and `/hvp` without tangents or vectors: a 422 or the answer), or with `train`, for `/train`.
    func body(model b64: [UInt8], train: Bool = false) -> [UInt8] {
        var w = JSONWriter()
        w.raw("{\"dtype\":")
        w.string(dtype)
        w.raw(",\"onnx\":{\"b64\":")
        var body = w.bytes + b64
        body += Array("},\"tensors\":".utf8) + tensors
        var rest = JSONWriter()
        rest.raw(",\"ops\":[{\"id\":\"fuzz.loss\",\"op\":\"sum\",\"inputs\":[")
        rest.string(output)
        rest.raw("]}],\"loss\":\"fuzz.loss\"")
        if train { rest.raw(",\"optimizer\":{\"name\":\"sgd\",\"lr\":0.1},\"steps\":2") }
        rest.raw("}")
        return body + rest.bytes
    }
}

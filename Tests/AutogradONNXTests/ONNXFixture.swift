import AutogradGraph
import Foundation

/// A committed ONNX fixture (Tests/Fixtures/onnx, written by gen_onnx.py): the model, its
/// inputs, a loss, and PyTorch's gradients and onnxruntime's forward to compare with.
struct ONNXFixture {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    static let directory = root.appendingPathComponent("Tests/Fixtures/onnx")

    let name: String
    let doc: JSONValue
    let model: [UInt8]

    init(_ name: String) throws {
        self.name = name
        doc = try JSONParser.parse([UInt8](try Data(contentsOf: Self.directory.appendingPathComponent(name + ".json"))))
        model = [UInt8](try Data(contentsOf: Self.directory.appendingPathComponent(doc["model"]?.stringValue ?? "")))
    }

    static var all: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? [])
            .filter { $0.hasSuffix(".json") }.map { String($0.dropLast(5)) }.sorted()
    }

    var b64: String { Base64.encode(model) }
    var output: String { doc["output"]?.stringValue ?? "" }

    /// The `/backward` request: the model, its inputs and target, the loss as one op.
    func request(extra: String = "") -> [UInt8] {
        var tensors: [String] = []
        for (k, v) in doc["inputs"]?.objectValue?.members ?? [] {
            tensors.append("\(JSONWriter.encode(.string(k)).string): \(JSONWriter.encode(v).string)")
        }
        tensors.append("\"target\": \(JSONWriter.encode(doc["target"] ?? .null).string)")
        let lossOp = doc["loss_op"] ?? .null
        let body = """
            {"dtype": "float32", "onnx": {"b64": "\(b64)"}, "tensors": {\(tensors.joined(separator: ", "))},
             "ops": [{"id": "loss", "op": \(JSONWriter.encode(lossOp["op"] ?? .null).string), "inputs": ["\(output)", "target"], "attrs": \(JSONWriter.encode(lossOp["attrs"] ?? .null).string)}],
             "loss": "loss", "outputs": ["\(output)", "loss"]\(extra)}
            """
        return Array(body.utf8)
    }

    static func numbers(_ v: JSONValue?) -> [Double] {
        switch v {
        case .array(let items)?: return items.flatMap { numbers($0) }
        case .number(let n)?: return [n.value]
        case .numbers(let n)?: return n.elements.map { $0.numberValue?.value ?? .nan }
        default: return []
        }
    }

    /// Names (in order) of `expected`'s values that differ from `actual`'s by more than
    /// atol + rtol |expected|, or whose shapes differ; empty when all agree.
    static func mismatches(_ actual: JSONValue?, _ expected: JSONValue?, rtol: Double, atol: Double) -> [String] {
        var bad: [String] = []
        for (name, e) in expected?.objectValue?.members ?? [] {
            let a = actual?[name]
            let x = numbers(a?["data"]), y = numbers(e["data"])
            if numbers(a?["shape"]) != numbers(e["shape"]) || x.count != y.count || x.isEmpty {
                bad.append("\(name): shape")
                continue
            }
            if let i = x.indices.first(where: { abs(x[$0] - y[$0]) > atol + rtol * abs(y[$0]) }) {
                bad.append("\(name)[\(i)]: \(x[i]) vs \(y[i])")
            }
        }
        return bad
    }
}

extension [UInt8] {
    var string: String { String(decoding: self, as: UTF8.self) }
}

import Foundation

/// One NodeProto as the op table reads it: inputs (an empty name is an omitted optional
/// input), outputs and attributes by name.
struct ONNXNode {
    let index: Int
    let proto: Onnx_NodeProto
    let attributes: [String: Onnx_AttributeProto]

    init(index: Int, proto: Onnx_NodeProto) {
        self.index = index
        self.proto = proto
        var attributes: [String: Onnx_AttributeProto] = [:]
        for a in proto.attribute { attributes[a.name] = a }
        self.attributes = attributes
    }

    var opType: String { proto.opType }
    var inputs: [String] { proto.input }
    var outputs: [String] { proto.output }

    /// "node 3 "/fc1/Gemm" (Gemm)": how a problem names it.
    var label: String { "node \(index) \"\(proto.name.prefix(64))\" (\(proto.opType.prefix(64)))" }

    /// Whether input `i` is given (present and not the empty name).
    func has(_ i: Int) -> Bool { i < proto.input.count && !proto.input[i].isEmpty }

    func int(_ name: String, _ defaultValue: Int) throws(ImportFailure) -> Int {
        guard let a = attributes[name] else { return defaultValue }
        guard a.type == .int, let v = Int(exactly: a.i) else { throw ImportFailure("attribute \"\(name)\" must be an int") }
        return v
    }

    func optionalInt(_ name: String) throws(ImportFailure) -> Int? {
        attributes[name] == nil ? nil : try int(name, 0)
    }

    func float(_ name: String, _ defaultValue: Double) throws(ImportFailure) -> Double {
        guard let a = attributes[name] else { return defaultValue }
        guard a.type == .float else { throw ImportFailure("attribute \"\(name)\" must be a float") }
        return Double(a.f)
    }

    func ints(_ name: String) throws(ImportFailure) -> [Int]? {
        guard let a = attributes[name] else { return nil }
        guard a.type == .ints else { throw ImportFailure("attribute \"\(name)\" must be a list of ints") }
        var out: [Int] = []
        for v in a.ints {
            guard let i = Int(exactly: v), abs(i) < 1 << 53 else { throw ImportFailure("attribute \"\(name)\" holds \(v), out of range") }
            out.append(i)
        }
        return out
    }

    func string(_ name: String, _ defaultValue: String) throws(ImportFailure) -> String {
        guard let a = attributes[name] else { return defaultValue }
        guard a.type == .string, let s = String(data: a.s, encoding: .utf8) else {
            throw ImportFailure("attribute \"\(name)\" must be a string")
        }
        return s
    }
}

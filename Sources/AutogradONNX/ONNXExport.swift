import AutogradGraph
import Foundation
import SwiftProtobuf

/// `/train`'s `"onnx"` member (issue 11): the request's ModelProto again, with the final
/// values of the initializers the request could change (the trainable ones and the ones
/// its `"tensors"` overrode) in place of the model's. Each keeps its name, element type,
/// dims and the field its values were in (`raw_data` or the typed one).
///
/// The bytes are the request's own with only those values replaced (`splice`): every other
/// byte, field order, unpacked or default-valued fields and unknown fields included, stays
/// as the exporter wrote it, and untrained values come back bit for bit. Where the layout
/// is not one the splice edits (a graph field given twice, two initializers of one name),
/// or its result would not decode to the model intended, the model is serialized anew by
/// swift-protobuf instead: the same model, in proto3's canonical encoding.
struct ONNXExport: ModelExporter {
    let model: Onnx_ModelProto
    /// The request's base64 text of the model (decoded again only when exporting).
    let base64: String
    let tensorNames: [String]

    var field: String { "onnx" }

    /// The exporter of `request`, just expanded from `model` (whose base64 text is
    /// `base64`); `given` names the request's own tensors (before the expansion). Fails
    /// where the answer could not hold a value: an integer initializer the request trains,
    /// or overrides with values its type lacks.
    init(model: Onnx_ModelProto, base64: String, request: GraphRequest, given: Set<String>) throws(PlacedFailure) {
        self.model = model
        self.base64 = base64
        var types: [String: Int32] = [:]
        for t in model.graph.initializer where types[t.name] == nil { types[t.name] = t.dataType }
        var names: [String] = []
        var seen = Set<String>()
        for t in request.tensors where types[t.name] != nil && (t.requiresGrad || given.contains(t.name)) {
            guard seen.insert(t.name).inserted else { continue }
            names.append(t.name)
            guard let type = types[t.name].flatMap(ONNXElementType.init(rawValue:)), !type.isFloat else { continue }
            guard !t.requiresGrad else {
                throw PlacedFailure(pointer: Pointer.join(t.pointer, "requires_grad"), detail: "overrides the model's \(ONNXElementType.name(type.rawValue)) initializer \"\(t.name.prefix(64))\": /train writes the model back, and an integer initializer cannot hold trained values")
            }
            for (i, v) in t.data.array(Double.self).enumerated() where !type.holds(v) {
                throw PlacedFailure(pointer: t.pointer, detail: "overrides the model's \(ONNXElementType.name(type.rawValue)) initializer \"\(t.name.prefix(64))\" with \(v) at index \(i): /train writes the model back, and that type cannot hold it")
            }
        }
        tensorNames = names
    }

    func export(_ values: [ExportedValues]) throws(Problem) -> [UInt8] {
        var byName: [String: ExportedValues] = [:]
        for v in values where byName[v.name] == nil { byName[v.name] = v }
        var model = model
        var written: [String: Onnx_TensorProto] = [:]
        for i in model.graph.initializer.indices {
            guard let v = byName[model.graph.initializer[i].name] else { continue }
            do {
                try Self.write(v, into: &model.graph.initializer[i])
            } catch {
                throw Problem(status: 500, title: "Internal Server Error", detail: "the trained model cannot be written: initializer \"\(v.name.prefix(64))\": \(error.detail)")
            }
            written[v.name] = model.graph.initializer[i]
        }
        if let original = try? Base64.decode(base64), let spliced = Self.splice(original, written) {
            var options = BinaryDecodingOptions()
            options.messageDepthLimit = 64
            if let decoded = try? Onnx_ModelProto(serializedBytes: spliced, options: options), decoded == model {
                return spliced
            }
        }
        do {
            return try model.serializedBytes()
        } catch {
            throw Problem(status: 500, title: "Internal Server Error", detail: "the trained model cannot be serialized: \(error)")
        }
    }

    /// TensorProto's fields that hold values: float_data, int32_data, int64_data,
    /// raw_data, double_data, uint64_data (onnx.proto's numbers).
    static let valueFields: Set<UInt64> = [4, 5, 7, 9, 10, 11]

    /// `original` (a ModelProto's bytes) with the value fields of each initializer named in
    /// `tensors` replaced by that tensor's (at the place of the first, the others dropped),
    /// and the lengths of the TensorProto, the GraphProto (field 7) and nothing else
    /// changed; nil where the layout is not that simple.
    static func splice(_ original: [UInt8], _ tensors: [String: Onnx_TensorProto]) -> [UInt8]? {
        guard let top = ProtoWire.fields(original, original.indices) else { return nil }
        let graphs = top.filter { $0.number == 7 }
        guard graphs.count == 1, graphs[0].wireType == 2, let fields = ProtoWire.fields(original, graphs[0].payload) else { return nil }
        var graph: [UInt8] = []
        graph.reserveCapacity(graphs[0].payload.count)
        var done = Set<String>()
        for f in fields {
            guard f.number == 5, f.wireType == 2, let inner = ProtoWire.fields(original, f.payload),
                  let nameField = inner.last(where: { $0.number == 8 }), nameField.wireType == 2
            else {
                graph += original[f.range]
                continue
            }
            let name = String(decoding: original[nameField.payload], as: UTF8.self)
            guard let t = tensors[name] else {
                graph += original[f.range]
                continue
            }
            guard done.insert(name).inserted else { return nil }
            var values = Onnx_TensorProto()
            values.floatData = t.floatData
            values.int32Data = t.int32Data
            values.int64Data = t.int64Data
            values.rawData = t.rawData
            values.doubleData = t.doubleData
            values.uint64Data = t.uint64Data
            guard let data: [UInt8] = try? values.serializedBytes() else { return nil }
            var tensor: [UInt8] = []
            tensor.reserveCapacity(f.payload.count)
            var wrote = false
            for g in inner {
                guard Self.valueFields.contains(g.number) else {
                    tensor += original[g.range]
                    continue
                }
                if !wrote { tensor += data }
                wrote = true
            }
            if !wrote { tensor += data }
            graph += ProtoWire.lengthDelimited(original, f, payload: tensor)
        }
        var out: [UInt8] = []
        out.reserveCapacity(original.count)
        for f in top {
            out += f.number == 7 ? ProtoWire.lengthDelimited(original, f, payload: graph) : Array(original[f.range])
        }
        return out
    }

    /// `v`'s values into `t`, in `t`'s element type and in the field that held its values.
    static func write(_ v: ExportedValues, into t: inout Onnx_TensorProto) throws(ImportFailure) {
        guard let type = ONNXElementType(rawValue: t.dataType) else {
            throw ImportFailure("element type \(ONNXElementType.name(t.dataType)) cannot be written")
        }
        guard t.dims.count == v.shape.count, zip(t.dims, v.shape).allSatisfy({ $0 == Int64($1) }) else {
            throw ImportFailure("shape \(v.shape) differs from the model's dims \(t.dims)")
        }
        let values = v.data.array(Double.self)
        for (i, x) in values.enumerated() where !type.holds(x) {
            throw ImportFailure("\(x) at index \(i) is not a \(ONNXElementType.name(type.rawValue)) value")
        }
        if !t.rawData.isEmpty || values.isEmpty {
            if !values.isEmpty { t.rawData = raw(values, type) }
            return
        }
        switch type {
        case .float: t.floatData = values.map { Float($0) }
        case .double: t.doubleData = values
        case .int64: t.int64Data = values.map { Int64($0) }
        case .uint32, .uint64: t.uint64Data = values.map { UInt64($0) }
        case .int32, .int16, .int8, .uint16, .uint8, .bool: t.int32Data = values.map { Int32($0) }
        }
    }

    /// `values` as `raw_data`: little-endian, `type.width` bytes each. Every value is one
    /// `type` holds (checked by the caller), so no conversion traps.
    private static func raw(_ values: [Double], _ type: ONNXElementType) -> Data {
        var out = [UInt8]()
        out.reserveCapacity(values.count * type.width)
        func put<I: FixedWidthInteger>(_ x: I) {
            withUnsafeBytes(of: x.littleEndian) { out.append(contentsOf: $0) }
        }
        for x in values {
            switch type {
            case .float: put(Float(x).bitPattern)
            case .double: put(x.bitPattern)
            case .int64: put(Int64(x))
            case .uint64: put(UInt64(x))
            case .int32: put(Int32(x))
            case .uint32: put(UInt32(x))
            case .int16: put(Int16(x))
            case .uint16: put(UInt16(x))
            case .int8: put(Int8(x))
            case .uint8, .bool: put(UInt8(x))
            }
        }
        return Data(out)
    }
}

extension ONNXElementType {
    /// Whether `x` is a value of this type (any value for float types; an integer in range
    /// for the others, 0 or 1 for bool), so that converting it cannot trap.
    func holds(_ x: Double) -> Bool {
        if isFloat { return true }
        guard x.isFinite, x.rounded(.towardZero) == x else { return false }
        switch self {
        case .float, .double: return true
        case .bool: return x == 0 || x == 1
        case .int8: return Int8(exactly: x) != nil
        case .uint8: return UInt8(exactly: x) != nil
        case .int16: return Int16(exactly: x) != nil
        case .uint16: return UInt16(exactly: x) != nil
        case .int32: return Int32(exactly: x) != nil
        case .uint32: return UInt32(exactly: x) != nil
        case .int64: return Int64(exactly: x) != nil
        case .uint64: return UInt64(exactly: x) != nil
        }
    }
}

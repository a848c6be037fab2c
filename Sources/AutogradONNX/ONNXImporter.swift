import Autograd
import AutogradGraph
import Foundation
import SwiftProtobuf

/// Expands a request's `"onnx": {"b64": ..., "trainable": [...]}` into tensors and ops
/// (issue 11): initializers become tensors under their ONNX names, node outputs ops under
/// theirs, so the request's own ops (a loss), `loss`, `outputs` and `gradients` name them.
/// Every problem is a 422 with a pointer; nothing here traps on any bytes.
package struct ONNXImporter: GraphImporter {
    /// Models decoded lately, by their bytes without weights.
    let cache = ModelCache()

    package init() {}

    package var field: String { "onnx" }

    package func expand(_ value: JSONValue, into request: inout GraphRequest, problems: inout ProblemList, limits: GraphLimits) {
        guard case .object(let obj) = value else {
            problems.wrongType("/onnx", "must be an object {\"b64\": base64 of the ModelProto bytes}; got \(value.kindName)")
            return
        }
        for key in obj.keys where key != "b64" && key != "trainable" {
            problems.invalid(Pointer.join("/onnx", key), "unknown field; expected b64, trainable")
        }
        var trainable: [String]?
        if let t = obj["trainable"] {
            guard case .array(let items) = t else {
                problems.wrongType("/onnx/trainable", "must be an array of initializer names; got \(t.kindName)")
                return
            }
            var names: [String] = []
            for (i, item) in items.enumerated() {
                guard case .string(let s) = item else {
                    problems.wrongType("/onnx/trainable/\(i)", "must be an initializer name (string); got \(item.kindName)")
                    continue
                }
                names.append(s)
            }
            trainable = names
        }
        guard case .string(let text)? = obj["b64"] else {
            problems.wrongType("/onnx/b64", obj["b64"] == nil ? "required: the base64 of the ModelProto bytes" : "must be a base64 string")
            return
        }
        let parsed: ParsedModel
        do {
            parsed = try Self.parse(text, cache: cache)
        } catch {
            problems.invalid("/onnx/b64", error.detail)
            return
        }
        let model = parsed.model
        let given = Set(request.tensors.map(\.name))
        do {
            try ModelExpansion(model: model, weights: parsed.weights, trainable: trainable, limits: limits).apply(to: &request)
            // /train answers the model back with its trained values (ONNXExport).
            if request.training != nil {
                request.exporter = try ONNXExport(model: parsed.complete, base64: text, request: request, given: given)
            }
        } catch {
            problems.invalid(error.pointer, error.detail)
            // One cause, one report: the model's names resolve for the request's own ops,
            // loss and outputs, as an invalid tensor's name does.
            request.invalidTensorNames.formUnion(model.graph.node.flatMap(\.output))
            request.invalidTensorNames.formUnion(model.graph.initializer.map(\.name))
        }
    }

    /// The ModelProto in `text` (base64), or why it is not one.
    ///
    /// The weights are decoded once, straight into the arrays the tensors keep: the
    /// base64 is scanned for the protobuf's structure (`Base64.Bytes`, reading only tags
    /// and lengths), the model without its initializers' `raw_data` is decoded and handed
    /// to swift-protobuf, and each FLOAT or DOUBLE initializer's `raw_data` is decoded from
    /// its own stretch of the text into its values (`ParsedModel.weights`). Every
    /// character is still checked once. Where any of that does not apply (no raw_data, a
    /// layout the scan does not read, any fault), the whole text is decoded as it is, and
    /// the faults are reported from there.
    ///
    /// With a `cache`, the structure of a model seen lately is not decoded again.
    static func parse(_ text: String, cache: ModelCache? = nil) throws(ImportFailure) -> ParsedModel {
        var options = BinaryDecodingOptions()
        options.messageDepthLimit = 64
        #if _endian(little)
        var text = text
        if let parsed = text.withUTF8({ withoutCopies($0, options, cache) }) { return parsed }
        #endif
        let bytes = try decodeBase64(text)
        let model: Onnx_ModelProto
        do {
            model = try Onnx_ModelProto(serializedBytes: bytes, options: options)
        } catch {
            throw ImportFailure("not an ONNX ModelProto: the protobuf bytes do not decode (\(error))")
        }
        guard model.hasGraph else { throw ImportFailure("not an ONNX model: the ModelProto has no graph") }
        return ParsedModel(model: model, weights: [:])
    }

    /// `parse`'s single decode of the weights, or nil to decode the text as it is.
    private static func withoutCopies(_ utf8: UnsafeBufferPointer<UInt8>, _ options: BinaryDecodingOptions, _ cache: ModelCache?) -> ParsedModel? {
        guard let total = try? Base64.decodedCount(utf8),
              let split = ProtoWire.withoutRawData(Base64.Bytes(text: utf8, count: total))
        else { return nil }
        do throws(Base64.DecodingError) {
            // The tags and lengths the scan read unchecked.
            for h in split.headers { _ = try decode(utf8, h, as: UInt8.self) }
            let count = split.count
            var failure: Base64.DecodingError?
            let stripped = [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
                var at = 0
                for piece in split.pieces where failure == nil {
                    let out = UnsafeMutableRawBufferPointer(UnsafeMutableBufferPointer(rebasing: buffer[at..<at + piece.count]))
                    switch piece {
                    case .original(let r):
                        do throws(Base64.DecodingError) { try Base64.decode(utf8, bytes: r, into: out) } catch { failure = error }
                    case .literal(let b):
                        b.withUnsafeBytes { out.copyMemory(from: $0) }
                    }
                    at += piece.count
                }
                if failure != nil { buffer.initialize(repeating: 0) }
                initialized = count
            }
            if let failure { throw failure }
            func structure() -> Onnx_ModelProto? { try? Onnx_ModelProto(serializedBytes: stripped, options: options) }
            guard var model = cache.map({ $0.model(for: stripped, decode: structure) }) ?? structure(),
                  model.hasGraph, model.graph.initializer.count == split.raw.count
            else { return nil }
            var weights: [Int: ONNXWeights] = [:]
            for (i, range) in split.raw.enumerated() {
                guard let range, !range.isEmpty else { continue }
                switch ONNXElementType(rawValue: model.graph.initializer[i].dataType) {
                case .float? where range.count % 4 == 0:
                    weights[i] = .float(try decode(utf8, range, as: Float.self))
                case .double? where range.count % 8 == 0:
                    weights[i] = .double(try decode(utf8, range, as: Double.self))
                default:
                    let bytes = try decode(utf8, range, as: UInt8.self)
                    model.graph.initializer[i].rawData = Data(bytes)
                }
            }
            return ParsedModel(model: model, weights: weights)
        } catch {
            return nil
        }
    }

    /// The values in bytes `range` of what `utf8` decodes to (little-endian `T`s).
    private static func decode<T>(_ utf8: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, as: T.Type) throws(Base64.DecodingError) -> [T] {
        let n = range.count / MemoryLayout<T>.stride
        var failure: Base64.DecodingError?
        let values = [T](unsafeUninitializedCapacity: n) { buffer, initialized in
            do throws(Base64.DecodingError) {
                try Base64.decode(utf8, bytes: range, into: UnsafeMutableRawBufferPointer(buffer))
            } catch {
                failure = error
                UnsafeMutableRawBufferPointer(buffer).initializeMemory(as: UInt8.self, repeating: 0)
            }
            initialized = n
        }
        if let failure { throw failure }
        return values
    }

    /// The bytes of `text` (base64) in a `Data` that owns a buffer written once by the
    /// decoder (zeroing it first would be a pass over the model's bytes for nothing).
    static func decodeBase64(_ text: String) throws(ImportFailure) -> Data {
        var text = text
        let result: Result<Data, Base64.DecodingError> = text.withUTF8 { utf8 in
            do throws(Base64.DecodingError) {
                let count = try Base64.decodedCount(utf8)
                guard let buffer = malloc(Swift.max(count, 1)) else { return .success(Data()) }
                do throws(Base64.DecodingError) {
                    try Base64.decode(utf8, into: UnsafeMutableRawBufferPointer(start: buffer, count: count))
                } catch {
                    free(buffer)
                    throw error
                }
                return .success(Data(bytesNoCopy: buffer, count: count, deallocator: .free))
            } catch {
                return .failure(error)
            }
        }
        do throws(Base64.DecodingError) {
            return try result.get()
        } catch {
            throw ImportFailure("not base64: \(error.message)" + (error.offset >= 0 ? " at character \(error.offset)" : ""))
        }
    }

    /// `GET /ops`'s `"onnx"` member: `{"opsets": [lo, hi], "ops": [sorted op types]}`.
    package var catalog: JSONValue {
        func int(_ i: Int) -> JSONValue { .number(JSONNumber(value: Double(i), isIntegerLiteral: true)) }
        return .object(JSONObject([
            (key: "opsets", value: .array([int(ONNXOps.opsets.lowerBound), int(ONNXOps.opsets.upperBound)])),
            (key: "ops", value: .array(ONNXOps.names.map { .string($0) })),
        ]))
    }
}

/// A ModelProto as `ONNXImporter.parse` reads it: the initializers whose `raw_data` was
/// read straight into values hold them in `weights` (by index), their `rawData` empty.
struct ParsedModel {
    var model: Onnx_ModelProto
    var weights: [Int: ONNXWeights]

    /// The model as swift-protobuf decodes it from the bytes, every `raw_data` in place.
    var complete: Onnx_ModelProto {
        var m = model
        for (i, w) in weights { m.graph.initializer[i].rawData = w.rawData }
        return m
    }
}

/// A failure with the pointer it belongs at.
struct PlacedFailure: Error {
    let pointer: String
    let detail: String
}

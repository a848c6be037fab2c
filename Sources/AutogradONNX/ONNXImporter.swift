import Autograd
import AutogradGraph
import Foundation
import SwiftProtobuf

/// Expands a request's `"onnx": {"b64": ..., "trainable": [...]}` into tensors and ops
/// (issue 11): initializers become tensors under their ONNX names, node outputs ops under
/// theirs, so the request's own ops (a loss), `loss`, `outputs` and `gradients` name them.
/// Every problem is a 422 with a pointer; nothing here traps on any bytes.
package struct ONNXImporter: GraphImporter {
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
        let model: Onnx_ModelProto
        do {
            model = try Self.parse(text)
        } catch {
            problems.invalid("/onnx/b64", error.detail)
            return
        }
        let given = Set(request.tensors.map(\.name))
        do {
            try ModelExpansion(model: model, trainable: trainable, limits: limits).apply(to: &request)
            // /train answers the model back with its trained values (ONNXExport).
            if request.training != nil {
                request.exporter = try ONNXExport(model: model, base64: text, request: request, given: given)
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
    static func parse(_ text: String) throws(ImportFailure) -> Onnx_ModelProto {
        let bytes = try decodeBase64(text)
        do {
            var options = BinaryDecodingOptions()
            options.messageDepthLimit = 64
            var model: Onnx_ModelProto
            if let split = ProtoWire.withoutRawData(bytes) {
                // The weights stay where base64 put them: each initializer's raw_data is a
                // slice of `bytes` (sharing its storage), not swift-protobuf's copy.
                model = try Onnx_ModelProto(serializedBytes: split.stripped, options: options)
                if model.graph.initializer.count == split.raw.count {
                    for (i, range) in split.raw.enumerated() {
                        if let range { model.graph.initializer[i].rawData = bytes[range] }
                    }
                } else {
                    model = try Onnx_ModelProto(serializedBytes: bytes, options: options)
                }
            } else {
                model = try Onnx_ModelProto(serializedBytes: bytes, options: options)
            }
            guard model.hasGraph else { throw ImportFailure("not an ONNX model: the ModelProto has no graph") }
            return model
        } catch let failure as ImportFailure {
            throw failure
        } catch {
            throw ImportFailure("not an ONNX ModelProto: the protobuf bytes do not decode (\(error))")
        }
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

/// A failure with the pointer it belongs at.
struct PlacedFailure: Error {
    let pointer: String
    let detail: String
}

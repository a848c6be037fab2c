import AutogradGraph
import Foundation
import SwiftProtobuf
import Testing

@testable import AutogradONNX

/// The importer decodes a model without its initializers' raw_data and points each at its
/// slice of the decoded bytes (`ProtoWire.withoutRawData`): the model must be the message
/// swift-protobuf decodes from the bytes as they are, in every layout protobuf allows.
@Suite("ONNX raw_data without a copy")
struct ONNXRawDataTests {
    static func plain(_ bytes: [UInt8]) throws -> Onnx_ModelProto { try Onnx_ModelProto(serializedBytes: bytes) }

    @Test(arguments: ONNXFixture.all)
    func everyFixtureDecodesAsSwiftProtobufDecodesIt(_ name: String) throws {
        let f = try ONNXFixture(name)
        #expect(ProtoWire.withoutRawData(f.model) != nil, "the exports keep their weights in raw_data")
        let model = try ONNXImporter.parse(f.b64)
        #expect(model == (try Self.plain(f.model)))
    }

    static func tensor(_ name: String, _ values: [Float]) -> Onnx_TensorProto {
        var t = Onnx_TensorProto()
        t.name = name
        t.dims = [Int64(values.count)]
        t.dataType = 1
        t.rawData = values.withUnsafeBytes { Data($0) }
        return t
    }

    static func field(_ number: Int, _ payload: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        ProtoWire.appendVarint(UInt64(number << 3 | 2), to: &out)
        ProtoWire.appendVarint(UInt64(payload.count), to: &out)
        return out + payload
    }

    /// Two graph fields (merged by protobuf, initializers concatenated) and a tensor with
    /// two raw_data fields (the last one counts), an initializer without raw_data between.
    @Test func mergedGraphsAndRepeatedRawDataFollowProtobufsRules() throws {
        var first = Onnx_GraphProto()
        first.name = "g"
        first.initializer = [Self.tensor("a", [1, 2, 3])]
        var noRaw = Onnx_TensorProto()
        noRaw.name = "b"
        noRaw.dims = [2]
        noRaw.dataType = 1
        noRaw.floatData = [4, 5]
        first.initializer.append(noRaw)
        var model = Onnx_ModelProto()
        model.irVersion = 8
        var bytes = try model.serializedBytes() as [UInt8]
        bytes += Self.field(7, try first.serializedBytes())
        // Graph 2: tensor "c" with a second raw_data field appended (7.5 replaces 6).
        var c = try Self.tensor("c", [6]).serializedBytes() as [UInt8]
        c += Self.field(9, withUnsafeBytes(of: Float(7.5)) { Array($0) })
        bytes += Self.field(7, Self.field(5, c))
        let split = try #require(ProtoWire.withoutRawData(bytes))
        #expect(split.raw.count == 3 && split.raw[1] == nil)
        let decoded = try ONNXImporter.parse(Base64.encode(bytes))
        #expect(decoded == (try Self.plain(bytes)))
        #expect(decoded.graph.initializer.map(\.name) == ["a", "b", "c"])
        #expect(decoded.graph.initializer[2].rawData == withUnsafeBytes(of: Float(7.5)) { Data($0) })
    }

    /// Bytes that do not decode are refused as before, whether the scan or swift-protobuf
    /// finds the fault; a stray field 9 of another wire type and a model without raw_data
    /// decode as swift-protobuf decodes them.
    @Test func malformedBytesAreRefusedAndModelsWithoutRawDataDecodeAsTheyAre() throws {
        let f = try ONNXFixture(ONNXFixture.all[0])
        for cut in [1, 7, f.model.count / 2, f.model.count - 1] {
            let truncated = Array(f.model.prefix(cut))
            #expect(throws: ImportFailure.self) { _ = try ONNXImporter.parse(Base64.encode(truncated)) }
        }
        // A field 9 written as a varint after the real raw_data: not stripped, so
        // swift-protobuf treats it as it treats it in the bytes as they are.
        var graph = Onnx_GraphProto()
        graph.name = "g"
        var t = try Self.tensor("a", [1]).serializedBytes() as [UInt8]
        t += [9 << 3 | 0, 1]
        let bytes = try Onnx_ModelProto().serializedBytes() + Self.field(7, try graph.serializedBytes() + Self.field(5, t))
        #expect(try ONNXImporter.parse(Base64.encode(bytes)) == (try Self.plain(bytes)))
        var m = Onnx_ModelProto()
        var g = Onnx_GraphProto()
        var x = Onnx_TensorProto()
        x.name = "x"
        x.dims = [1]
        x.dataType = 1
        x.floatData = [1]
        g.initializer = [x]
        m.graph = g
        let plain = try m.serializedBytes() as [UInt8]
        #expect(ProtoWire.withoutRawData(plain) == nil)
        #expect(try ONNXImporter.parse(Base64.encode(plain)) == m)
    }
}

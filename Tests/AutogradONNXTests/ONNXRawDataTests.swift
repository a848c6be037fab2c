import AutogradGraph
import Foundation
import SwiftProtobuf
import Testing

@testable import AutogradONNX

/// The importer scans the base64 for the model's structure, decodes the model without its
/// initializers' raw_data (`ProtoWire.withoutRawData`) and each FLOAT or DOUBLE raw_data
/// straight into its values: with those put back (`ParsedModel.complete`) the model must be
/// the message swift-protobuf decodes from the bytes as they are, in every layout protobuf
/// allows, and a text that is not base64 is refused exactly as a whole decode refuses it.
@Suite("ONNX raw_data without a copy")
struct ONNXRawDataTests {
    static func plain(_ bytes: [UInt8]) throws -> Onnx_ModelProto { try Onnx_ModelProto(serializedBytes: bytes) }

    @Test(arguments: ONNXFixture.all)
    func everyFixtureDecodesAsSwiftProtobufDecodesIt(_ name: String) throws {
        let f = try ONNXFixture(name)
        #expect(ProtoWire.withoutRawData(f.model) != nil, "the exports keep their weights in raw_data")
        let parsed = try ONNXImporter.parse(f.b64)
        #expect(parsed.complete == (try Self.plain(f.model)))
        #expect(!parsed.weights.isEmpty, "the float weights are read into values")
        for (i, w) in parsed.weights {
            #expect(parsed.model.graph.initializer[i].rawData.isEmpty)
            #expect(w.rawData == (try Self.plain(f.model)).graph.initializer[i].rawData)
        }
    }

    /// A character outside the alphabet anywhere (the structure, a tag the scan reads, the
    /// weights, the last character) is refused with the whole decode's message and offset.
    @Test func notBase64IsRefusedAsTheWholeDecodeRefusesIt() throws {
        let f = try ONNXFixture(ONNXFixture.all[0])
        let text = Array(f.b64.utf8)
        for at in [0, 3, 9, 17, text.count / 3, text.count / 2, text.count - 5, text.count - 1] {
            for bad in ["*", "-", " "] {
                var t = text
                t[at] = UInt8(ascii: bad.unicodeScalars.first!)
                let s = String(decoding: t, as: UTF8.self)
                var expected = ""
                do { _ = try ONNXImporter.decodeBase64(s) } catch { expected = error.detail }
                #expect(!expected.isEmpty)
                #expect(throws: ImportFailure.self) { _ = try ONNXImporter.parse(s) }
                do {
                    _ = try ONNXImporter.parse(s)
                } catch {
                    #expect(error.detail == expected, "at \(at)")
                }
            }
        }
    }

    /// FLOAT and DOUBLE raw_data become values; other types keep their bytes (here INT64,
    /// and a FLOAT raw_data whose length is not a multiple of 4, refused with its count).
    @Test func everyElementTypeIsReadAsTheBytesSay() throws {
        var d = Onnx_TensorProto()
        d.name = "d"
        d.dims = [2]
        d.dataType = 11
        d.rawData = [0.25, -3.5].withUnsafeBytes { Data($0) }
        var i = Onnx_TensorProto()
        i.name = "i"
        i.dims = [2]
        i.dataType = 7
        i.rawData = [Int64(-1), 7].withUnsafeBytes { Data($0) }
        var odd = Self.tensor("odd", [1])
        odd.rawData = Data([1, 2, 3])
        var m = Onnx_ModelProto()
        m.graph.initializer = [Self.tensor("f", [1.5]), d, i, odd]
        let bytes = try m.serializedBytes() as [UInt8]
        let parsed = try ONNXImporter.parse(Base64.encode(bytes))
        #expect(parsed.weights == [0: .float([1.5]), 1: .double([0.25, -3.5])])
        #expect(parsed.model.graph.initializer[2].rawData == i.rawData)
        #expect(parsed.model.graph.initializer[3].rawData == Data([1, 2, 3]))
        #expect(parsed.complete == m)
        #expect(try ONNXTensorData(parsed.model.graph.initializer[1], raw: parsed.weights[1], maxElements: 10).values == [0.25, -3.5])
        #expect(try ONNXTensorData(parsed.model.graph.initializer[2], raw: parsed.weights[2], maxElements: 10).values == [-1, 7])
        #expect(throws: ImportFailure.self) { _ = try ONNXTensorData(parsed.model.graph.initializer[3], maxElements: 10) }
        // Values that do not fit the shape are refused as raw_data of that length would be.
        do {
            _ = try ONNXTensorData(parsed.model.graph.initializer[0], raw: .float([1, 2]), maxElements: 10)
            Issue.record("two values for shape [1] were accepted")
        } catch {
            #expect(error.detail.contains("raw_data holds 8 bytes"))
        }
    }

    /// A model sent again with other weights reuses its decoded structure and reads the
    /// new weights; the cache keeps at most `ModelCache.capacity` models.
    @Test func aModelSeenLatelyIsNotDecodedAgainAndItsNewWeightsAreRead() throws {
        let cache = ModelCache()
        func model(_ graphName: String, _ values: [Float]) throws -> [UInt8] {
            var g = Onnx_GraphProto()
            g.name = graphName
            g.initializer = [Self.tensor("w", values)]
            var m = Onnx_ModelProto()
            m.irVersion = 8
            m.graph = g
            return try m.serializedBytes()
        }
        let first = try model("g", [1, 2, 3]), second = try model("g", [4, 5, 6])
        let a = try ONNXImporter.parse(Base64.encode(first), cache: cache)
        let b = try ONNXImporter.parse(Base64.encode(second), cache: cache)
        #expect(cache.count == 1)
        #expect(a.weights[0] == .float([1, 2, 3]) && b.weights[0] == .float([4, 5, 6]))
        let (plainFirst, plainSecond) = (try Self.plain(first), try Self.plain(second))
        #expect(a.complete == plainFirst && b.complete == plainSecond)
        for k in 0..<(ModelCache.capacity + 3) {
            let bytes = try model("g\(k)", [Float(k)])
            #expect(try ONNXImporter.parse(Base64.encode(bytes), cache: cache).complete == (try Self.plain(bytes)))
        }
        #expect(cache.count == ModelCache.capacity)
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
        let parsed = try ONNXImporter.parse(Base64.encode(bytes))
        let decoded = parsed.complete
        #expect(decoded == (try Self.plain(bytes)))
        #expect(decoded.graph.initializer.map(\.name) == ["a", "b", "c"])
        #expect(decoded.graph.initializer[2].rawData == withUnsafeBytes(of: Float(7.5)) { Data($0) })
        #expect(parsed.weights == [0: .float([1, 2, 3]), 2: .float([7.5])])
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
        #expect(try ONNXImporter.parse(Base64.encode(bytes)).complete == (try Self.plain(bytes)))
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
        #expect(try ONNXImporter.parse(Base64.encode(plain)).complete == m)
    }
}

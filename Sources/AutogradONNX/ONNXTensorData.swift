import Autograd
import AutogradGraph
import Foundation
import SwiftProtobuf

/// An ONNX element type the importer reads (TensorProto.DataType's numbers).
enum ONNXElementType: Int32 {
    case float = 1, uint8 = 2, int8 = 3, uint16 = 4, int16 = 5, int32 = 6, int64 = 7
    case bool = 9, double = 11, uint32 = 12, uint64 = 13

    var isFloat: Bool { self == .float || self == .double }

    /// Bytes per element in `raw_data`.
    var width: Int {
        switch self {
        case .uint8, .int8, .bool: 1
        case .uint16, .int16: 2
        case .float, .int32, .uint32: 4
        case .double, .int64, .uint64: 8
        }
    }

    static func name(_ raw: Int32) -> String {
        let names: [Int32: String] = [
            0: "UNDEFINED", 1: "FLOAT", 2: "UINT8", 3: "INT8", 4: "UINT16", 5: "INT16", 6: "INT32", 7: "INT64",
            8: "STRING", 9: "BOOL", 10: "FLOAT16", 11: "DOUBLE", 12: "UINT32", 13: "UINT64", 16: "BFLOAT16",
        ]
        return names[raw] ?? "type \(raw)"
    }
}

/// A TensorProto's values, read into float64 (exact for every float32 and for integers up
/// to 2^53, which covers shapes and indices), with its shape and element type.
struct ONNXTensorData {
    let shape: [Int]
    let type: ONNXElementType
    /// FLOAT tensors keep their float32 values as read (a float32 request's weights are
    /// then one copy of the bytes, not a round trip through float64); others float64.
    private let floats: [Float]?
    private let doubles: [Double]

    /// The values in float64.
    var values: [Double] { floats.map { $0.map(Double.init) } ?? doubles }

    /// The number of values.
    var count: Int { floats?.count ?? doubles.count }

    /// The values as a request tensor of `dtype`.
    func tensorValues(_ dtype: DType) -> TensorValues {
        if let floats {
            return dtype == .float32 ? .float32(floats) : .float64(floats.map(Double.init))
        }
        return ModelImport.values(doubles, dtype)
    }

    /// Reads `t`, checking that its element count fits `maxElements` before allocating;
    /// `raw` is its `raw_data` already read into values (`ONNXWeights`), `t.rawData` then
    /// empty.
    init(_ t: Onnx_TensorProto, raw: ONNXWeights? = nil, maxElements: Int) throws(ImportFailure) {
        guard let type = ONNXElementType(rawValue: t.dataType) else {
            throw ImportFailure("element type \(ONNXElementType.name(t.dataType)) is not supported (float, double, integer and bool tensors are)")
        }
        guard t.dataLocation != .external else {
            throw ImportFailure("external data is not supported: the model must carry its weights (save it with save_as_external_data=False)")
        }
        var shape: [Int] = []
        var count = 1
        for d in t.dims {
            guard d >= 0, d <= Int64(maxElements) else { throw ImportFailure("dimension \(d) is out of range") }
            shape.append(Int(d))
            let (c, o) = count.multipliedReportingOverflow(by: Int(d))
            guard !o, c <= maxElements else { throw ImportFailure("shape \(shape) holds more than \(maxElements) elements") }
            count = c
        }
        self.shape = shape
        self.type = type
        if let raw {
            guard raw.byteCount == count * type.width else {
                throw ImportFailure("raw_data holds \(raw.byteCount) bytes; shape \(shape) of \(ONNXElementType.name(t.dataType)) needs \(count * type.width)")
            }
            switch raw {
            case .float(let v) where type == .float:
                floats = v
                doubles = []
            case .double(let v) where type == .double:
                floats = nil
                doubles = v
            default:
                throw ImportFailure("raw_data read as \(raw.typeName) for a \(ONNXElementType.name(t.dataType)) tensor")
            }
            return
        }
        if !t.rawData.isEmpty {
            guard t.rawData.count == count * type.width else {
                throw ImportFailure("raw_data holds \(t.rawData.count) bytes; shape \(shape) of \(ONNXElementType.name(t.dataType)) needs \(count * type.width)")
            }
            if type == .float {
                floats = Self.decodeRawFloats(t.rawData, count: count)
                doubles = []
            } else {
                floats = nil
                doubles = Self.decodeRaw(t.rawData, type: type, count: count)
            }
            return
        }
        if type == .float {
            guard t.floatData.count == count else {
                throw ImportFailure("holds \(t.floatData.count) values; shape \(shape) needs \(count)")
            }
            floats = t.floatData
            doubles = []
            return
        }
        floats = nil
        let typed: [Double]
        switch type {
        case .float: typed = []
        case .double: typed = t.doubleData
        case .int64: typed = t.int64Data.map { Double($0) }
        case .uint32, .uint64: typed = t.uint64Data.map { Double($0) }
        case .int32, .int16, .int8, .uint16, .uint8, .bool: typed = t.int32Data.map { Double($0) }
        }
        guard typed.count == count else {
            throw ImportFailure("holds \(typed.count) values; shape \(shape) needs \(count)")
        }
        doubles = typed
    }

    /// Little-endian FLOAT `raw_data` (`count` values, checked), copied as they are.
    private static func decodeRawFloats(_ data: Data, count: Int) -> [Float] {
        data.withUnsafeBytes { raw -> [Float] in
            [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
                #if _endian(little)
                if count > 0, let base = buffer.baseAddress, let src = raw.baseAddress {
                    memcpy(base, src, count * 4)
                }
                #else
                for i in 0..<count {
                    buffer[i] = Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self)))
                }
                #endif
                initialized = count
            }
        }
    }

    /// Little-endian `raw_data`, as the format specifies.
    private static func decodeRaw(_ data: Data, type: ONNXElementType, count: Int) -> [Double] {
        data.withUnsafeBytes { raw -> [Double] in
            func read<I: FixedWidthInteger>(_: I.Type, _ i: Int) -> I {
                I(littleEndian: raw.loadUnaligned(fromByteOffset: i * MemoryLayout<I>.size, as: I.self))
            }
            var out = [Double](repeating: 0, count: count)
            for i in 0..<count {
                switch type {
                case .float: out[i] = Double(Float(bitPattern: read(UInt32.self, i)))
                case .double: out[i] = Double(bitPattern: read(UInt64.self, i))
                case .int64: out[i] = Double(read(Int64.self, i))
                case .uint64: out[i] = Double(read(UInt64.self, i))
                case .int32: out[i] = Double(read(Int32.self, i))
                case .uint32: out[i] = Double(read(UInt32.self, i))
                case .int16: out[i] = Double(read(Int16.self, i))
                case .uint16: out[i] = Double(read(UInt16.self, i))
                case .int8: out[i] = Double(read(Int8.self, i))
                case .uint8, .bool: out[i] = Double(read(UInt8.self, i))
                }
            }
            return out
        }
    }
}

/// An initializer's `raw_data` read straight from the request's base64 into the values
/// of its FLOAT or DOUBLE tensor (`ONNXImporter.parse`), with no copy of the bytes.
enum ONNXWeights: Equatable {
    case float([Float])
    case double([Double])

    var byteCount: Int {
        switch self {
        case .float(let v): v.count * 4
        case .double(let v): v.count * 8
        }
    }

    var typeName: String {
        switch self {
        case .float: "FLOAT"
        case .double: "DOUBLE"
        }
    }

    /// The little-endian bytes, as `raw_data` holds them.
    var rawData: Data {
        switch self {
        case .float(let v): v.withUnsafeBytes { Data($0) }
        case .double(let v): v.withUnsafeBytes { Data($0) }
        }
    }
}

/// Why a model cannot be imported, in words for a problem's detail.
struct ImportFailure: Error {
    let detail: String
    init(_ detail: String) { self.detail = detail }
}

import Autograd

/// Appends JSON text to a byte buffer. Used for every response body, so that numbers
/// print the same way everywhere: the shortest text that reads back to the same value,
/// and `"NaN"`, `"Infinity"`, `"-Infinity"` for non-finite values (protobuf's mapping).
public struct JSONWriter {
    public private(set) var bytes: [UInt8] = []

    public init(capacity: Int = 256) { bytes.reserveCapacity(capacity) }

    /// Makes room for `extra` more bytes at once (at least doubling), so that writing a
    /// large answer does not copy it over and over as it grows.
    public mutating func reserve(_ extra: Int) {
        let needed = bytes.count + extra
        if needed > bytes.capacity { bytes.reserveCapacity(Swift.max(needed, 2 * bytes.capacity)) }
    }

    /// About the bytes `key(name)` and `tensor` or `tensorBase64` write for `a` (at least that, for base64;
    /// for numbers, room for typical shortest forms).
    static func estimatedBytes<T: Scalar>(name: String, _ a: NDArray<T>, encoding: TensorEncoding) -> Int {
        let values = encoding == .b64 ? Base64.encodedCount(a.count * MemoryLayout<T>.size) : a.count * 12
        return 48 + 8 * a.rank + values + name.utf8.count
    }

    public mutating func raw(_ s: StaticString) {
        s.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    public mutating func byte(_ b: UInt8) { bytes.append(b) }

    /// A JSON string with the escapes RFC 8259 requires.
    public mutating func string(_ s: String) {
        bytes.append(UInt8(ascii: "\""))
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "\""): raw("\\\"")
            case UInt8(ascii: "\\"): raw("\\\\")
            case 0x0A: raw("\\n")
            case 0x0D: raw("\\r")
            case 0x09: raw("\\t")
            case 0..<0x20:
                raw("\\u00")
                bytes.append(Self.hex[Int(b >> 4)])
                bytes.append(Self.hex[Int(b & 0xF)])
            default: bytes.append(b)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    public mutating func int(_ v: Int) { bytes.append(contentsOf: String(v).utf8) }

    public mutating func bool(_ v: Bool) { v ? raw("true") : raw("false") }

    /// A float: shortest round-trip text, or the protobuf string for a non-finite value.
    public mutating func number<T: Scalar>(_ v: T) {
        if v.isFinite {
            bytes.append(contentsOf: v.description.utf8)
        } else if v.isNaN {
            raw("\"NaN\"")
        } else {
            v < 0 ? raw("\"-Infinity\"") : raw("\"Infinity\"")
        }
    }

    /// `"key":`
    public mutating func key(_ k: String) {
        string(k)
        byte(UInt8(ascii: ":"))
    }

    /// An array of ints: `[2,3]`.
    public mutating func ints(_ values: [Int]) {
        byte(UInt8(ascii: "["))
        for (i, v) in values.enumerated() {
            if i > 0 { byte(UInt8(ascii: ",")) }
            int(v)
        }
        byte(UInt8(ascii: "]"))
    }

    /// `{"shape":[..],"data":nested}`: values nested as the shape says, a bare number for [].
    public mutating func tensor<T: Scalar>(_ a: NDArray<T>) {
        raw("{\"shape\":")
        ints(a.shape)
        raw(",\"data\":")
        a.data.withUnsafeBufferPointer { data in
            var offset = 0
            nested(a.shape, axis: 0, data: data, offset: &offset)
        }
        byte(UInt8(ascii: "}"))
    }

    /// `{"shape":[..],"b64":"..."}`: the values' little-endian bytes in base64 (padded,
    /// standard alphabet), non-finite values included as they are.
    public mutating func tensorBase64<T: Scalar>(_ a: NDArray<T>) {
        raw("{\"shape\":")
        ints(a.shape)
        raw(",\"b64\":\"")
        a.data.withUnsafeBufferPointer { data in
            #if _endian(big)
            var littleEndian = [UInt8](UnsafeRawBufferPointer(data))
            let size = MemoryLayout<T>.size
            for k in stride(from: 0, to: littleEndian.count, by: size) { littleEndian[k..<k + size].reverse() }
            littleEndian.withUnsafeBytes { base64($0) }
            #else
            base64(UnsafeRawBufferPointer(data))
            #endif
        }
        raw("\"}")
    }

    /// Appends the base64 text of `raw` (no quotes).
    public mutating func base64(_ raw: UnsafeRawBufferPointer) {
        let n = Base64.encodedCount(raw.count)
        guard n > 0 else { return }
        let start = bytes.count
        bytes.append(contentsOf: repeatElement(0, count: n))
        bytes.withUnsafeMutableBufferPointer { out in
            Base64.encode(raw, into: out.baseAddress! + start)
        }
    }

    private mutating func nested<T: Scalar>(
        _ shape: [Int], axis: Int, data: UnsafeBufferPointer<T>, offset: inout Int
    ) {
        if axis == shape.count {
            number(data[offset])
            offset += 1
            return
        }
        byte(UInt8(ascii: "["))
        for i in 0..<shape[axis] {
            if i > 0 { byte(UInt8(ascii: ",")) }
            nested(shape, axis: axis + 1, data: data, offset: &offset)
        }
        byte(UInt8(ascii: "]"))
    }

    /// A parsed document, written back (integers as integers, other numbers shortest).
    public mutating func value(_ v: JSONValue) {
        switch v {
        case .null: raw("null")
        case .bool(let b): bool(b)
        case .number(let n): if let i = n.exactInt { int(i) } else { number(n.value) }
        case .string(let s): string(s)
        case .array(let items):
            byte(UInt8(ascii: "["))
            for (i, item) in items.enumerated() {
                if i > 0 { byte(UInt8(ascii: ",")) }
                value(item)
            }
            byte(UInt8(ascii: "]"))
        case .numbers(let n):
            value(.array(n.elements))
        case .object(let o):
            byte(UInt8(ascii: "{"))
            for (i, m) in o.members.enumerated() {
                if i > 0 { byte(UInt8(ascii: ",")) }
                key(m.key)
                value(m.value)
            }
            byte(UInt8(ascii: "}"))
        }
    }

    /// The bytes of a parsed document.
    public static func encode(_ v: JSONValue) -> [UInt8] {
        var w = JSONWriter()
        w.value(v)
        return w.bytes
    }

    private static let hex: [UInt8] = Array("0123456789abcdef".utf8)
}

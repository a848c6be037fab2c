/// The protobuf wire format, as far as `ONNXExport` edits it in place: a message's fields
/// with their byte ranges, and a length-delimited field re-emitted with a new payload.
/// Reading never traps: any malformed input is `nil`.
enum ProtoWire {
    struct Field {
        let number: UInt64
        let wireType: UInt8
        /// The whole field: tag, length (for wire type 2) and payload.
        let range: Range<Int>
        /// The payload: the value bytes (for wire type 2, without the length).
        let payload: Range<Int>
    }

    /// The fields of the message in `bytes[range]`, in order, or nil where the bytes are not
    /// a sequence of well-formed fields of wire types 0, 1, 2 and 5 (groups are not read).
    static func fields(_ bytes: [UInt8], _ range: Range<Int>) -> [Field]? {
        var out: [Field] = []
        var i = range.lowerBound
        while i < range.upperBound {
            let start = i
            guard let tag = varint(bytes, &i, range.upperBound), tag >> 3 != 0 else { return nil }
            let wireType = UInt8(tag & 7)
            let payloadStart: Int
            let end: Int
            switch wireType {
            case 0:
                payloadStart = i
                guard varint(bytes, &i, range.upperBound) != nil else { return nil }
                end = i
            case 1, 5:
                payloadStart = i
                let width = wireType == 1 ? 8 : 4
                guard range.upperBound - i >= width else { return nil }
                end = i + width
            case 2:
                guard let n = varint(bytes, &i, range.upperBound), n <= UInt64(range.upperBound - i) else { return nil }
                payloadStart = i
                end = i + Int(n)
            default:
                return nil
            }
            out.append(Field(number: tag >> 3, wireType: wireType, range: start..<end, payload: payloadStart..<end))
            i = end
        }
        return out
    }

    /// The varint at `i` (advanced past it), or nil if it runs past `end` or 10 bytes.
    static func varint(_ bytes: [UInt8], _ i: inout Int, _ end: Int) -> UInt64? {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while i < end, shift < 64 {
            let b = bytes[i]
            i += 1
            value |= UInt64(b & 0x7F) << shift
            if b & 0x80 == 0 { return value }
            shift += 7
        }
        return nil
    }

    static func appendVarint(_ v: UInt64, to out: inout [UInt8]) {
        var v = v
        while v >= 0x80 {
            out.append(UInt8(v & 0x7F) | 0x80)
            v >>= 7
        }
        out.append(UInt8(v))
    }

    /// `field` (of wire type 2) again with `payload`: its own tag bytes, the new length.
    static func lengthDelimited(_ bytes: [UInt8], _ field: Field, payload: [UInt8]) -> [UInt8] {
        var out = Array(bytes[field.range.lowerBound..<tagEnd(bytes, field)])
        appendVarint(UInt64(payload.count), to: &out)
        return out + payload
    }

    /// Where `field`'s tag ends.
    private static func tagEnd(_ bytes: [UInt8], _ field: Field) -> Int {
        var i = field.range.lowerBound
        _ = varint(bytes, &i, field.range.upperBound)
        return i
    }
}

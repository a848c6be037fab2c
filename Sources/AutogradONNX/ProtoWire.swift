/// The protobuf wire format, as far as `ONNXExport` edits it in place and the importer
/// takes weights out of it (`withoutRawData`): a message's fields with their byte ranges,
/// and a length-delimited field re-emitted with a new payload. Reading never traps: any
/// malformed input is `nil`. Bytes are `[UInt8]` or `Data` (indices from 0).
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
    static func fields<Bytes: RandomAccessCollection<UInt8>>(_ bytes: Bytes, _ range: Range<Int>) -> [Field]? where Bytes.Index == Int {
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
    static func varint<Bytes: RandomAccessCollection<UInt8>>(_ bytes: Bytes, _ i: inout Int, _ end: Int) -> UInt64? where Bytes.Index == Int {
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
    static func lengthDelimited<Bytes: RandomAccessCollection<UInt8>>(_ bytes: Bytes, _ field: Field, payload: [UInt8]) -> [UInt8] where Bytes.Index == Int {
        var out = Array(bytes[field.range.lowerBound..<tagEnd(bytes, field)])
        appendVarint(UInt64(payload.count), to: &out)
        return out + payload
    }

    /// Where `field`'s tag ends.
    private static func tagEnd<Bytes: RandomAccessCollection<UInt8>>(_ bytes: Bytes, _ field: Field) -> Int where Bytes.Index == Int {
        var i = field.range.lowerBound
        _ = varint(bytes, &i, field.range.upperBound)
        return i
    }

    /// A message rebuilt from pieces of another: byte ranges of the original and new bytes
    /// (the rewritten tags and lengths).
    enum Piece: Equatable {
        case original(Range<Int>)
        case literal([UInt8])

        var count: Int {
            switch self {
            case .original(let r): r.count
            case .literal(let b): b.count
            }
        }
    }

    /// A ModelProto split by `withoutRawData`.
    struct Split {
        /// The model without its initializers' last `raw_data` fields, in order.
        var pieces: [Piece] = []
        /// For each initializer in order, the payload of its last `raw_data` field, or nil.
        var raw: [Range<Int>?] = []
        /// The tags and lengths read to take the `raw_data` out, which no piece holds.
        var headers: [Range<Int>] = []

        /// The stripped model's size in bytes.
        var count: Int { pieces.reduce(0) { $0 + $1.count } }
    }

    /// The ModelProto in `bytes` without its initializers' `raw_data` fields (`pieces`:
    /// everything else, byte for byte, with the graph's and the tensors' lengths
    /// rewritten), and for each initializer in order the payload of its last `raw_data`
    /// field (protobuf's rule for a repeated singular field; earlier ones stay in the
    /// pieces), or nil where it has none. nil when there is nothing to take out, or the
    /// fields on the way are not well-formed: the caller then decodes `bytes` as they are,
    /// and swift-protobuf reports what is wrong with them.
    ///
    /// swift-protobuf copies every `bytes` field it decodes; decoding the stripped model
    /// and reading each initializer's `raw_data` where it lies saves a copy of the weights
    /// (2.7 MB for W2's MLP) per request. `bytes` may be a view that decodes base64 as it
    /// is read (`Base64.Bytes`): only tags and lengths are read here.
    static func withoutRawData<Bytes: RandomAccessCollection<UInt8>>(_ bytes: Bytes) -> Split? where Bytes.Index == Int {
        guard let top = fields(bytes, bytes.startIndex..<bytes.endIndex) else { return nil }
        var split = Split()
        var headers: [Range<Int>] = []
        func append(_ range: Range<Int>, to pieces: inout [Piece]) {
            if case .original(let last)? = pieces.last, last.upperBound == range.lowerBound {
                pieces[pieces.count - 1] = .original(last.lowerBound..<range.upperBound)
            } else {
                pieces.append(.original(range))
            }
        }
        /// `field`'s tag and a new length for `payload`, then `payload`.
        func rewrite(_ field: Field, _ payload: [Piece], to pieces: inout [Piece]) {
            headers.append(field.range.lowerBound..<field.payload.lowerBound)
            var header = Array(bytes[field.range.lowerBound..<tagEnd(bytes, field)])
            appendVarint(UInt64(payload.reduce(0) { $0 + $1.count }), to: &header)
            pieces.append(.literal(header))
            for p in payload {
                if case .original(let r) = p { append(r, to: &pieces) } else { pieces.append(p) }
            }
        }
        // Several graph fields are merged into one by protobuf's rule (their initializers
        // concatenated in order), so each is stripped alike and the order holds.
        for f in top {
            guard f.number == 7 else {
                append(f.range, to: &split.pieces)
                continue
            }
            guard f.wireType == 2, let members = fields(bytes, f.payload) else { return nil }
            var graph: [Piece] = []
            for m in members {
                guard m.number == 5 && m.wireType == 2 else {
                    append(m.range, to: &graph)
                    continue
                }
                guard let tensorFields = fields(bytes, m.payload) else { return nil }
                let last = tensorFields.lastIndex { $0.number == 9 && $0.wireType == 2 }
                var tensor: [Piece] = []
                for (k, t) in tensorFields.enumerated() where k != last { append(t.range, to: &tensor) }
                if let last {
                    let t = tensorFields[last]
                    headers.append(t.range.lowerBound..<t.payload.lowerBound)
                    split.raw.append(t.payload)
                } else {
                    split.raw.append(nil)
                }
                rewrite(m, tensor, to: &graph)
            }
            rewrite(f, graph, to: &split.pieces)
        }
        guard split.raw.contains(where: { $0 != nil }) else { return nil }
        split.headers = headers
        return split
    }
}

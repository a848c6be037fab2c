/// RFC 4648 base64 (standard alphabet `A–Z a–z 0–9 + /`) over raw buffers, for tensors on
/// the wire as `"b64"` strings. No Foundation, no intermediate `Data`: the decoder writes
/// straight into the tensor's storage and the encoder straight into the response bytes.
///
/// Decoding is strict, so that every tensor has exactly one spelling:
/// - the standard alphabet only; base64url's `-` and `_` are rejected with a hint;
/// - no whitespace or line breaks;
/// - padding is optional (the expected length is known from shape and dtype, RFC 4648
///   §3.2), but when present it must be complete: `=` only as the last one or two
///   characters of a length that is a multiple of 4;
/// - the unused bits of the last character must be zero (§3.5: canonical encoding).
public enum Base64 {
    /// Why a string is not base64: the offset of the offending character and a message.
    public struct DecodingError: Error, Sendable, Equatable {
        public let offset: Int
        public let message: String
    }

    /// The number of characters `byteCount` bytes encode to, with padding.
    public static func encodedCount(_ byteCount: Int) -> Int { (byteCount + 2) / 3 * 4 }

    /// The number of bytes `text` decodes to, after checking its length and padding (but
    /// not its characters: `decode` does that).
    public static func decodedCount(_ text: UnsafeBufferPointer<UInt8>) throws(DecodingError) -> Int {
        let n = text.count
        var data = n  // characters before the padding
        if n > 0 && text[n - 1] == equals {
            guard n % 4 == 0 else {
                throw lengthError(text, DecodingError(offset: n - 1, message: "padding '=' on a length that is not a multiple of 4"))
            }
            data -= 1
            if text[n - 2] == equals { data -= 1 }
        }
        guard data % 4 != 1 else {
            throw lengthError(text, DecodingError(offset: n, message: "truncated: a length of 4k+1 characters is never base64"))
        }
        return data / 4 * 3 + max(data % 4 - 1, 0)
    }

    /// A character outside the alphabet explains a bad length better than the length.
    private static func lengthError(_ text: UnsafeBufferPointer<UInt8>, _ error: DecodingError) -> DecodingError {
        var end = text.count
        while end > 0 && text[end - 1] == equals { end -= 1 }
        for k in 0..<end where sextet(text[k]) >= 64 { return invalidCharacter(text[k], at: k) }
        return error
    }

    /// Decodes `text` into `output`, which must hold exactly `decodedCount(text)` bytes.
    public static func decode(_ text: UnsafeBufferPointer<UInt8>, into output: UnsafeMutableRawBufferPointer) throws(DecodingError) {
        let total = try decodedCount(text)
        guard output.count == total else {
            throw DecodingError(offset: -1, message: "decodes to \(total) bytes where \(output.count) are expected")
        }
        guard total > 0, let src = text.baseAddress, let dst = output.baseAddress?.assumingMemoryBound(to: UInt8.self) else {
            return
        }
        let quads = total / 3  // complete 4-character groups that decode to 3 bytes
        var bad: UInt32 = 0
        decodeTable.withUnsafeBufferPointer { t in
            let t0 = t.baseAddress!, t1 = t0 + 256, t2 = t0 + 512, t3 = t0 + 768
            var s = src, d = dst
            for _ in 0..<quads {
                let v = t0[Int(s[0])] | t1[Int(s[1])] | t2[Int(s[2])] | t3[Int(s[3])]
                bad |= v
                d[0] = UInt8(truncatingIfNeeded: v >> 16)
                d[1] = UInt8(truncatingIfNeeded: v >> 8)
                d[2] = UInt8(truncatingIfNeeded: v)
                s += 4
                d += 3
            }
        }
        if bad & invalid != 0 { throw firstInvalid(text, end: quads * 4) }
        // The last 2 or 3 characters, for 1 or 2 bytes.
        let rest = total - quads * 3
        guard rest > 0 else { return }
        let tail = quads * 4
        var v: UInt32 = 0
        for k in 0...rest {
            let c = text[tail + k]
            let x = sextet(c)
            guard x < 64 else { throw invalidCharacter(c, at: tail + k) }
            v |= UInt32(x) << (18 - 6 * UInt32(k))
        }
        let unused: UInt32 = rest == 1 ? 0xFFFF : 0xFF
        guard v & unused == 0 else {
            throw DecodingError(offset: tail + rest, message: "the unused bits of the last character are not zero (not the canonical encoding)")
        }
        dst[quads * 3] = UInt8(truncatingIfNeeded: v >> 16)
        if rest == 2 { dst[quads * 3 + 1] = UInt8(truncatingIfNeeded: v >> 8) }
    }

    /// Writes the padded encoding of `input` to `output`, which must hold
    /// `encodedCount(input.count)` bytes.
    public static func encode(_ input: UnsafeRawBufferPointer, into output: UnsafeMutablePointer<UInt8>) {
        let n = input.count
        guard n > 0, let src = input.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return }
        let triples = n / 3
        pairTable.withUnsafeBufferPointer { pairs in
            let p = pairs.baseAddress!
            var s = src, d = output
            for _ in 0..<triples {
                let v = UInt32(s[0]) << 16 | UInt32(s[1]) << 8 | UInt32(s[2])
                let hi = p[Int(v >> 12)], lo = p[Int(v & 0xFFF)]
                d[0] = UInt8(truncatingIfNeeded: hi >> 8)
                d[1] = UInt8(truncatingIfNeeded: hi)
                d[2] = UInt8(truncatingIfNeeded: lo >> 8)
                d[3] = UInt8(truncatingIfNeeded: lo)
                s += 3
                d += 4
            }
        }
        let rest = n - triples * 3
        guard rest > 0 else { return }
        let s = src + triples * 3, d = output + triples * 4
        let v = UInt32(s[0]) << 16 | (rest == 2 ? UInt32(s[1]) << 8 : 0)
        d[0] = alphabet[Int(v >> 18)]
        d[1] = alphabet[Int(v >> 12 & 63)]
        d[2] = rest == 2 ? alphabet[Int(v >> 6 & 63)] : equals
        d[3] = equals
    }

    /// The padded encoding of `bytes`, as a string (tests and small payloads).
    public static func encode(_ bytes: [UInt8]) -> String {
        let count = encodedCount(bytes.count)
        let out = [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            bytes.withUnsafeBytes { encode($0, into: buffer.baseAddress!) }
            initialized = count
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The bytes `text` decodes to.
    public static func decode(_ text: String) throws(DecodingError) -> [UInt8] {
        var text = text
        let result: Result<[UInt8], DecodingError> = text.withUTF8 { utf8 in
            do throws(DecodingError) {
                let count = try decodedCount(utf8)
                var error: DecodingError?
                let bytes = [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
                    do throws(DecodingError) {
                        try decode(utf8, into: UnsafeMutableRawBufferPointer(buffer))
                    } catch let e {
                        error = e
                    }
                    initialized = count  // UInt8 needs no deinitialisation
                }
                if let error { throw error }
                return .success(bytes)
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    // MARK: Tables

    static let equals = UInt8(ascii: "=")
    static let alphabet: [UInt8] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
    /// Set in a decode-table entry for a byte outside the alphabet.
    static let invalid: UInt32 = 1 << 31

    /// The value of a base64 character, or 0xFF.
    @inline(__always) static func sextet(_ c: UInt8) -> UInt8 {
        switch c {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): c - UInt8(ascii: "A")
        case UInt8(ascii: "a")...UInt8(ascii: "z"): c - UInt8(ascii: "a") + 26
        case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0") + 52
        case UInt8(ascii: "+"): 62
        case UInt8(ascii: "/"): 63
        default: 0xFF
        }
    }

    /// Four tables of 256 entries: the character's value shifted to its place in a
    /// 24-bit group (18, 12, 6, 0), or `invalid`.
    static let decodeTable: [UInt32] = (0..<4).flatMap { k in
        (0..<256).map { c -> UInt32 in
            let x = sextet(UInt8(c))
            return x < 64 ? UInt32(x) << (18 - 6 * UInt32(k)) : invalid
        }
    }

    /// Two characters for every 12-bit value.
    static let pairTable: [UInt16] = (0..<4096).map { v in
        UInt16(alphabet[v >> 6]) << 8 | UInt16(alphabet[v & 63])
    }

    // MARK: Errors

    static func invalidCharacter(_ c: UInt8, at offset: Int) -> DecodingError {
        let message: String
        switch c {
        case UInt8(ascii: "-"), UInt8(ascii: "_"):
            message = "\(describeByte(c)) is base64url; use the standard alphabet ('+' and '/')"
        case equals:
            message = "padding '=' before the end"
        case 0x20, 0x09, 0x0A, 0x0D:
            message = "whitespace is not allowed in base64"
        default:
            message = "\(describeByte(c)) is not a base64 character"
        }
        return DecodingError(offset: offset, message: message)
    }

    /// The first character outside the alphabet in `text[..<end]` (one is known to exist).
    static func firstInvalid(_ text: UnsafeBufferPointer<UInt8>, end: Int) -> DecodingError {
        for k in 0..<end where sextet(text[k]) >= 64 { return invalidCharacter(text[k], at: k) }
        return DecodingError(offset: 0, message: "invalid base64")
    }
}

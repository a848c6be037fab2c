import CBase64

/// RFC 4648 base64 (standard alphabet `A–Z a–z 0–9 + /`) over raw buffers, for tensors on
/// the wire as `"b64"` strings. No Foundation, no intermediate `Data`: the decoder writes
/// straight into the tensor's storage and the encoder straight into the response bytes.
/// Whole groups go through CBase64's loops (AVX2 where the CPU has it: 32 characters a
/// step; `CBASE64=portable` in the environment forces the table loop); lengths, padding,
/// the last group and every error are handled here.
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
        try decode(text, bytes: 0..<total, into: output)
    }

    /// Decodes the bytes `bytes` of what `text` decodes to (a range within
    /// `0..<decodedCount(text)`) into `output`, which must hold `bytes.count` bytes, checking
    /// every character of each 4-character group it reads as `decode` checks them: a part
    /// of a long text (a model's weights) goes straight where it is used, the rest unread.
    public static func decode(_ text: UnsafeBufferPointer<UInt8>, bytes: Range<Int>, into output: UnsafeMutableRawBufferPointer) throws(DecodingError) {
        let total = try decodedCount(text)
        guard bytes.lowerBound >= 0, bytes.upperBound <= total, output.count == bytes.count else {
            throw DecodingError(offset: -1, message: "bytes \(bytes.lowerBound)..<\(bytes.upperBound) of \(total) do not fit \(output.count)")
        }
        guard !bytes.isEmpty, let src = text.baseAddress, let dst = output.baseAddress?.assumingMemoryBound(to: UInt8.self) else {
            return
        }
        var pos = bytes.lowerBound
        var d = dst
        // A group the range starts inside, or ends inside, or the last one (1 or 2 bytes):
        // one at a time, only its bytes in the range written.
        if pos % 3 != 0 { try partial(text, total, &pos, bytes.upperBound, &d) }
        let quads = (bytes.upperBound - pos) / 3  // complete groups, each 4 characters for 3 bytes
        if quads > 0 {
            let first = pos / 3 * 4
            let done = cb64_decode_quads(src + first, quads, d)
            // Fewer than asked for: a character outside the alphabet lies in the next groups.
            if done < quads { throw firstInvalid(text, from: first + done * 4, end: first + quads * 4) }
            pos += quads * 3
            d += quads * 3
        }
        if pos < bytes.upperBound { try partial(text, total, &pos, bytes.upperBound, &d) }
    }

    /// The bytes from `pos` of its group up to `end` or the group's end, to `d` (both advanced).
    private static func partial(
        _ text: UnsafeBufferPointer<UInt8>, _ total: Int, _ pos: inout Int, _ end: Int, _ d: inout UnsafeMutablePointer<UInt8>
    ) throws(DecodingError) {
        let q = pos / 3
        let v = try group(text, q, total)
        let stop = Swift.min(3 * q + 3, end)
        for k in pos..<stop {
            d.pointee = UInt8(truncatingIfNeeded: v >> (16 - 8 * UInt32(k - 3 * q)))
            d += 1
        }
        pos = stop
    }

    /// The 24 bits of group `q` (characters 4q...), checked: a complete group's 4
    /// characters, or the last group's 2 or 3 (for 1 or 2 bytes of `total`) with the
    /// unused bits of its last character zero.
    private static func group(_ text: UnsafeBufferPointer<UInt8>, _ q: Int, _ total: Int) throws(DecodingError) -> UInt32 {
        let rest = Swift.min(total - 3 * q, 3)  // bytes of this group
        let first = 4 * q
        var v: UInt32 = 0
        for k in 0...rest {
            let c = text[first + k]
            let x = sextet(c)
            guard x < 64 else { throw invalidCharacter(c, at: first + k) }
            v |= UInt32(x) << (18 - 6 * UInt32(k))
        }
        if rest < 3 {
            let unused: UInt32 = rest == 1 ? 0xFFFF : 0xFF
            guard v & unused == 0 else {
                throw DecodingError(offset: first + rest, message: "the unused bits of the last character are not zero (not the canonical encoding)")
            }
        }
        return v
    }

    /// The bytes a text decodes to, each read where it is asked for from the two
    /// characters that hold it, unchecked (a character outside the alphabet reads as some
    /// value): for scanning the few header bytes of a long text, whose ranges are then
    /// decoded with `decode(_:bytes:into:)`, which checks them. `count` is
    /// `decodedCount(text)`; the text must outlive the view.
    package struct Bytes: RandomAccessCollection {
        package let text: UnsafeBufferPointer<UInt8>
        package let count: Int

        package init(text: UnsafeBufferPointer<UInt8>, count: Int) {
            self.text = text
            self.count = count
        }

        package var startIndex: Int { 0 }
        package var endIndex: Int { count }

        package subscript(i: Int) -> UInt8 {
            let q = i / 3, r = i - 3 * q
            let a = sextet(text[4 * q + r]) & 63, b = sextet(text[4 * q + r + 1]) & 63
            switch r {
            case 0: return a << 2 | b >> 4
            case 1: return a << 4 | b >> 2
            default: return a << 6 | b
            }
        }
    }

    /// Writes the padded encoding of `input` to `output`, which must hold
    /// `encodedCount(input.count)` bytes.
    public static func encode(_ input: UnsafeRawBufferPointer, into output: UnsafeMutablePointer<UInt8>) {
        let n = input.count
        guard n > 0, let src = input.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return }
        let triples = n / 3
        cb64_encode_triples(src, triples, output)
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

    /// The first character outside the alphabet in `text[from..<end]` (one is known to exist).
    static func firstInvalid(_ text: UnsafeBufferPointer<UInt8>, from: Int = 0, end: Int) -> DecodingError {
        for k in from..<end where sextet(text[k]) >= 64 { return invalidCharacter(text[k], at: k) }
        return DecodingError(offset: 0, message: "invalid base64")
    }
}

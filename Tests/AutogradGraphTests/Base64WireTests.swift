import Autograd
import Foundation
import Testing

@testable import AutogradGraph

/// The base64 codec, and tensors as `"b64"` on the wire: exact round trips of every bit
/// pattern, the same values as JSON numbers, and bad input answered with pointers.
@Suite struct Base64WireTests {

    // MARK: The codec

    @Test func rfc4648TestVectors() throws {
        let vectors = [("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"), ("foob", "Zm9vYg=="),
                       ("fooba", "Zm9vYmE="), ("foobar", "Zm9vYmFy")]
        for (plain, encoded) in vectors {
            #expect(Base64.encode(Array(plain.utf8)) == encoded)
            #expect(try Base64.decode(encoded) == Array(plain.utf8))
            // Unpadded is accepted too (the length is known from shape and dtype).
            #expect(try Base64.decode(String(encoded.prefix { $0 != "=" })) == Array(plain.utf8))
        }
    }

    @Test func randomBytesRoundTripAndMatchFoundation() throws {
        var rng = SplitMix64(seed: 64)
        for n in Array(0..<200) + [4096, 65_537, 1_000_001] {
            let bytes = (0..<n).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            let encoded = Base64.encode(bytes)
            #expect(encoded == Data(bytes).base64EncodedString(), "n = \(n)")
            #expect(try Base64.decode(encoded) == bytes, "n = \(n)")
        }
    }

    /// CBase64's 32-character steps and the table loop after them: every byte value at
    /// every position of a text longer than two steps decodes as the alphabet says, or is
    /// reported at its own offset.
    @Test func everyByteAtEveryPositionOfALongTextDecodesOrIsReportedThere() throws {
        var rng = SplitMix64(seed: 32)
        let plain = (0..<60).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        let text = Array(Base64.encode(plain).utf8)  // 80 characters: two AVX2 steps and a tail
        for position in 0..<text.count {
            for byte in 0...255 {
                var bad = text
                bad[position] = UInt8(byte)
                let result = Result { () throws(Base64.DecodingError) -> [UInt8] in
                    try Base64.decode(String(decoding: bad, as: UTF8.self))
                }
                let value = Base64.sextet(UInt8(byte))
                if value < 64 {
                    // The group's 24 bits with this character's 6 in place.
                    let q = position / 4, shift = 18 - 6 * (position % 4)
                    let old = (0..<4).reduce(UInt32(0)) { $0 | UInt32(Base64.sextet(text[4 * q + $1])) << (18 - 6 * UInt32($1)) }
                    let v = old & ~(63 << UInt32(shift)) | UInt32(value) << UInt32(shift)
                    var expected = plain
                    expected[3 * q] = UInt8(truncatingIfNeeded: v >> 16)
                    expected[3 * q + 1] = UInt8(truncatingIfNeeded: v >> 8)
                    expected[3 * q + 2] = UInt8(truncatingIfNeeded: v)
                    #expect((try? result.get()) == expected, "byte \(byte) at \(position)")
                } else {
                    #expect(throws: Base64.DecodingError.self, "byte \(byte) at \(position)") { try result.get() }
                    // '=' as the last character is padding: then the one before it has unused bits set.
                    let padding = byte == Int(Base64.equals) && position == text.count - 1
                    if case .failure(let error) = result {
                        #expect(error.offset == (padding ? position - 1 : position), "byte \(byte) at \(position): \(error)")
                    }
                }
            }
        }
    }

    @Test func invalidBase64IsRejectedWithItsOffset() {
        let cases: [(String, Int, String)] = [
            ("Zm9v YmFy", 4, "whitespace"),
            ("Zm9vYmF\n", 7, "whitespace"),
            ("Zm9-", 3, "base64url"),
            ("Zm9_", 3, "base64url"),
            ("Zg=", 2, "multiple of 4"),
            ("Z", 1, "truncated"),
            ("Zm9vY", 5, "truncated"),
            ("Zh==", 1, "unused bits"),
            ("Zm9=", 2, "unused bits"),
            ("Zg==Zg==", 2, "padding"),
            ("Zm9v====", 4, "padding"),
            ("Zm9v*mFy", 4, "not a base64 character"),
            ("Zm9vYmF\u{e9}", 7, "not a base64 character"),
        ]
        for (text, offset, words) in cases {
            do {
                let bytes = try Base64.decode(text)
                Issue.record("\(text.debugDescription) decoded to \(bytes)")
            } catch {
                #expect(error.offset == offset, "\(text.debugDescription): \(error.message)")
                #expect(error.message.contains(words), "\(text.debugDescription): \(error.message)")
            }
        }
    }

    /// Any range of the decoded bytes decodes alone to that slice of the whole, with or
    /// without padding, and `Base64.Bytes` reads every byte the same.
    @Test func everyRangeDecodesToItsSliceAndTheViewReadsEveryByte() throws {
        var rng = SplitMix64(seed: 65)
        for n in [1, 2, 3, 4, 5, 6, 7, 11, 12, 13, 40] {
            let bytes = (0..<n).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            let padded = Base64.encode(bytes)
            for text in [padded, String(padded.prefix { $0 != "=" })] {
                var t = text
                try t.withUTF8 { utf8 in
                    #expect(Array(Base64.Bytes(text: utf8, count: n)) == bytes, "n = \(n) \(text)")
                    for a in 0...n {
                        for b in a...n {
                            var out = [UInt8](repeating: 0xAA, count: b - a)
                            try out.withUnsafeMutableBytes { try Base64.decode(utf8, bytes: a..<b, into: $0) }
                            #expect(out == Array(bytes[a..<b]), "n = \(n), \(a)..<\(b) of \(text)")
                        }
                    }
                }
            }
        }
    }

    /// A range checks the characters of the groups it reads, and only those: a bad
    /// character is found with its offset where its group is read, ignored elsewhere; the
    /// last character's unused bits are checked where the last group is read.
    @Test func aRangeChecksTheCharactersOfItsGroups() throws {
        // "Zm9v" "Ym*y" "YmF6": the bad character holds parts of bytes 4 and 5.
        var text = "Zm9vYm*yYmF6"
        text.withUTF8 { utf8 in
            for (range, fails) in [(0..<3, false), (0..<4, true), (2..<3, false), (3..<4, true), (5..<6, true), (6..<9, false), (1..<9, true)] {
                var out = [UInt8](repeating: 0, count: range.count)
                do {
                    try out.withUnsafeMutableBytes { try Base64.decode(utf8, bytes: range, into: $0) }
                    #expect(!fails, "\(range) decoded")
                } catch {
                    let e = error as? Base64.DecodingError
                    #expect(fails && e?.offset == 6 && e?.message.contains("not a base64 character") == true, "\(range): \(error)")
                }
            }
        }
        var unused = "Zm9vZh=="  // "foo" + one byte whose last character carries stray bits
        unused.withUTF8 { utf8 in
            var out = [UInt8](repeating: 0, count: 1)
            #expect(throws: Base64.DecodingError.self) { try out.withUnsafeMutableBytes { try Base64.decode(utf8, bytes: 3..<4, into: $0) } }
            var head = [UInt8](repeating: 0, count: 3)
            #expect(throws: Never.self) { try head.withUnsafeMutableBytes { try Base64.decode(utf8, bytes: 0..<3, into: $0) } }
            var tail = [UInt8](repeating: 0, count: 2)
            #expect(throws: Base64.DecodingError.self) { try tail.withUnsafeMutableBytes { try Base64.decode(utf8, bytes: 2..<4, into: $0) } }
        }
    }

    // MARK: On the wire

    private func respond(_ endpoint: Endpoint, _ body: String) -> (status: Int, json: JSONValue?) {
        let r = GraphService().respond(to: endpoint, body: Array(body.utf8))
        return (r.status, try? JSONParser.parse(r.body))
    }

    private static func b64<T>(_ values: [T]) -> String {
        values.withUnsafeBytes { Base64.encode(Array($0)) }
    }

    private static func values<T>(_ v: JSONValue?, _: T.Type) throws -> [T] {
        let text = try #require(v?["b64"]?.stringValue)
        return try Base64.decode(text).withUnsafeBytes { Array($0.bindMemory(to: T.self)) }
    }

    /// Special values of both precisions: zeros, infinities, NaNs with payloads (quiet and
    /// signalling), subnormals, extremes.
    static let float32Specials: [UInt32] = [
        0x0000_0000, 0x8000_0000, 0x7F80_0000, 0xFF80_0000, 0x7FC0_0000, 0xFFC0_0001, 0x7FA0_0001,
        0x7F80_0001, 0x0000_0001, 0x8000_0001, 0x007F_FFFF, 0x0080_0000, 0x7F7F_FFFF, 0xFF7F_FFFF, 0x3F80_0000,
    ]
    static let float64Specials: [UInt64] = [
        0, 0x8000_0000_0000_0000, 0x7FF0_0000_0000_0000, 0xFFF0_0000_0000_0000, 0x7FF8_0000_0000_0000,
        0xFFF8_0000_0000_0001, 0x7FF4_0000_0000_0001, 0x7FF0_0000_0000_0001, 1, 0x800F_FFFF_FFFF_FFFF,
        0x0010_0000_0000_0000, 0x7FEF_FFFF_FFFF_FFFF, 0x3FF0_0000_0000_0000,
    ]

    /// `/train` with 0 steps answers its parameters as they came: every bit survives.
    @Test(arguments: ["float32", "float64"])
    func everyBitPatternRoundTrips(dtype: String) throws {
        var rng = SplitMix64(seed: dtype == "float32" ? 32 : 64)
        let n = 4099
        let b64: String
        let expected: [UInt64]
        if dtype == "float32" {
            let bits = Self.float32Specials + (0..<(n - Self.float32Specials.count)).map { _ in UInt32(truncatingIfNeeded: rng.next()) }
            b64 = Self.b64(bits)
            expected = bits.map(UInt64.init)
        } else {
            let bits = Self.float64Specials + (0..<(n - Self.float64Specials.count)).map { _ in rng.next() }
            b64 = Self.b64(bits)
            expected = bits
        }
        let body = #"{"dtype": "\#(dtype)", "encoding": "b64", "tensors": {"w": {"shape": [\#(n)], "b64": "\#(b64)", "requires_grad": true}}, "ops": [{"id": "loss", "op": "sum", "inputs": ["w"]}], "loss": "loss", "optimizer": {"name": "sgd"}, "steps": 0}"#
        let (status, json) = respond(.train, body)
        #expect(status == 200)
        let w = json?["parameters"]?["w"]
        #expect(w?["shape"] == [.number(JSONNumber(value: Double(n), isIntegerLiteral: true))])
        #expect(w?["data"] == nil)
        let got: [UInt64] = dtype == "float32"
            ? try Self.values(w, UInt32.self).map(UInt64.init) : try Self.values(w, UInt64.self)
        #expect(got == expected)
        #expect(w?["b64"]?.stringValue == b64)
    }

    /// Outputs and gradients come back as b64; a seed may go in as b64.
    @Test func outputsAndGradientsAsBase64() throws {
        let x: [Float] = [1, -2, 0.5, .infinity, -0.0, .leastNonzeroMagnitude]
        let seed: [Float] = [1, 2, 3, 4, 5, 6]
        let body = #"{"encoding": "b64", "tensors": {"x": {"shape": [2, 3], "b64": "\#(Self.b64(x))", "requires_grad": true}}, "ops": [{"id": "y", "op": "mul", "inputs": ["x", "x"]}], "loss": "y", "outputs": ["y"], "seed": {"shape": [2, 3], "b64": "\#(Self.b64(seed))"}}"#
        let (status, json) = respond(.backward, body)
        #expect(status == 200)
        let y = try Self.values(json?["outputs"]?["y"], Float.self)
        #expect(y.map(\.bitPattern) == x.map { ($0 * $0).bitPattern })
        let g = try Self.values(json?["gradients"]?["x"], Float.self)
        #expect(g.map(\.bitPattern) == zip(x, seed).map { (2 * $0 * $1).bitPattern })
        #expect(json?["outputs"]?["y"]?["shape"] == [2, 3])
    }

    /// JSON numbers and b64 carry the same values, both ways.
    @Test(arguments: ["float32", "float64"])
    func jsonAndBase64GiveTheSameValues(dtype: String) throws {
        var rng = SplitMix64(seed: 7)
        let n = 1000
        let doubles = (0..<n).map { _ in Double(bitPattern: rng.next() & 0x7FEF_FFFF_FFFF_FFFF) * (rng.next() % 2 == 0 ? 1 : -1) * 0x1p-900 }
        let text: [String]
        let b64: String
        if dtype == "float32" {
            let floats = doubles.map { Float($0 * 0x1p900) }.map { $0.isFinite ? $0 : 1 }
            text = floats.map { "\($0)" }
            b64 = Self.b64(floats)
        } else {
            text = doubles.map { "\($0)" }
            b64 = Self.b64(doubles)
        }
        func body(_ tensor: String, _ encoding: String) -> String {
            #"{"dtype": "\#(dtype)", "encoding": "\#(encoding)", "tensors": {"x": \#(tensor)}, "ops": [{"id": "y", "op": "reshape", "inputs": ["x"], "attrs": {"shape": [10, 100]}}], "outputs": ["y"]}"#
        }
        let asJSON = #"{"data": [\#(text.joined(separator: ","))]}"#
        let asB64 = #"{"shape": [\#(n)], "b64": "\#(b64)"}"#
        var answers: [String] = []
        for tensor in [asJSON, asB64] {
            for encoding in ["json", "b64"] {
                let (status, json) = respond(.forward, body(tensor, encoding))
                #expect(status == 200)
                let y = json?["outputs"]?["y"]
                if encoding == "b64" {
                    answers.append(y?["b64"]?.stringValue ?? "missing")
                } else {
                    // The JSON numbers, re-encoded as bytes of the dtype.
                    let numbers = (y?["data"]?.arrayValue ?? []).flatMap { $0.arrayValue ?? [] }.compactMap { $0.numberValue?.value }
                    answers.append(dtype == "float32" ? Self.b64(numbers.map { Float($0) }) : Self.b64(numbers))
                }
            }
        }
        #expect(answers.allSatisfy { $0 == b64 })
    }

    // MARK: Bad input

    struct Bad: Sendable, CustomTestStringConvertible {
        let label: String
        let tensor: String
        var extra = ""
        let status: Int
        let pointers: [String]
        var testDescription: String { label }
    }

    static let bad: [Bad] = [
        Bad(label: "too few bytes", tensor: #"{"shape": [2], "b64": "AACAPw=="}"#, status: 422, pointers: ["/tensors/x/b64"]),
        Bad(label: "too many bytes", tensor: #"{"shape": [1], "b64": "AACAPwAAgD8="}"#, status: 422, pointers: ["/tensors/x/b64"]),
        Bad(label: "float64 bytes for float32", tensor: #"{"shape": [1], "b64": "AAAAAAAA8D8="}"#, status: 422, pointers: ["/tensors/x/b64"]),
        Bad(label: "invalid character", tensor: #"{"shape": [1], "b64": "AAC*Pw=="}"#, status: 422, pointers: ["/tensors/x/b64"]),
        Bad(label: "base64url", tensor: #"{"shape": [1], "b64": "AAC-Pw=="}"#, status: 422, pointers: ["/tensors/x/b64"]),
        Bad(label: "bad padding", tensor: #"{"shape": [1], "b64": "AACAPw="}"#, status: 422, pointers: ["/tensors/x/b64"]),
        Bad(label: "non-canonical last character", tensor: #"{"shape": [1], "b64": "AACAPx=="}"#, status: 422, pointers: ["/tensors/x/b64"]),
        Bad(label: "data and b64", tensor: #"{"shape": [1], "data": [1], "b64": "AACAPw=="}"#, status: 422, pointers: ["/tensors/x/b64"]),
        Bad(label: "init and b64", tensor: #"{"shape": [1], "init": {"name": "zeros"}, "b64": "AACAPw=="}"#, status: 422, pointers: ["/tensors/x/b64"]),
        Bad(label: "b64 not a string", tensor: #"{"shape": [1], "b64": [1]}"#, status: 400, pointers: ["/tensors/x/b64"]),
        Bad(label: "b64 without shape", tensor: #"{"b64": "AACAPw=="}"#, status: 400, pointers: ["/tensors/x/shape"]),
        Bad(label: "b64 over the element limit", tensor: #"{"shape": [100000000], "b64": ""}"#, status: 422, pointers: ["/tensors/x"]),
        Bad(label: "unknown encoding", tensor: #"{"data": [1]}"#, extra: #", "encoding": "base64""#, status: 422, pointers: ["/encoding"]),
        Bad(label: "encoding not a string", tensor: #"{"data": [1]}"#, extra: #", "encoding": 64"#, status: 400, pointers: ["/encoding"]),
        Bad(label: "bad seed", tensor: #"{"data": [1]}"#, extra: #", "seed": {"shape": [1], "b64": "AAAA"}"#, status: 422, pointers: ["/seed/b64"]),
    ]

    @Test(arguments: bad)
    func badInputGetsAPointer(_ c: Bad) throws {
        let body = #"{"tensors": {"x": \#(c.tensor)}, "ops": [{"id": "y", "op": "sum", "inputs": ["x"]}], "loss": "y"\#(c.extra)}"#
        let (status, json) = respond(.backward, body)
        #expect(status == c.status)
        let errors = json?["errors"]?.arrayValue ?? []
        #expect(errors.compactMap { $0["pointer"]?.stringValue } == c.pointers, "\(json.map { String(decoding: JSONWriter.encode($0), as: UTF8.self) } ?? "")")
    }
}

import Autograd
import Foundation
import Testing

@testable import AutogradGraph

/// The parser's packed path for tensor `data` (`JSONParser.parse(_:maxDepth:packing:)`):
/// the same document, the same errors, the same values as the generic path and as
/// Foundation's `JSONSerialization`.
@Suite struct PackedNumbersTests {
    private func plain(_ text: String, maxDepth: Int = 64) throws(JSONParseError) -> JSONValue {
        try JSONParser.parse(Array(text.utf8), maxDepth: maxDepth)
    }

    private func packed(_ text: String, maxDepth: Int = 64) throws(JSONParseError) -> JSONValue {
        try JSONParser.parse(Array(text.utf8), maxDepth: maxDepth, packing: ["data"])
    }

    /// Random number text in the forms clients write: integers, decimals, exponents, long
    /// digit strings, float32 shortest forms, subnormal and huge values.
    private static func numberText(_ rng: inout SplitMix64) -> String {
        let sign = rng.next() % 4 == 0 ? "-" : ""
        switch rng.next() % 8 {
        case 0: return sign + String(rng.next() % 1000)
        case 1: return sign + "\(Float(bitPattern: UInt32(truncatingIfNeeded: rng.next()) & 0x7F7F_FFFF))"
        case 2: return sign + "\(Double(bitPattern: rng.next() & 0x7FEF_FFFF_FFFF_FFFF))"
        case 3: return sign + "0.\(String(rng.next() % 100_000_000))"
        case 4: return sign + "\(rng.next() % 100_000)e\(Int(rng.next() % 80) - 40)"
        case 5: return sign + "\(rng.next())\(rng.next() % 1_000_000).\(rng.next())E-\(rng.next() % 330)"
        case 6: return sign + "\(Double(bitPattern: rng.next() % 0x0010_0000_0000_0000))"  // subnormal
        default: return sign + "\(Float(bitPattern: UInt32(truncatingIfNeeded: rng.next()) % 0x0080_0000))"  // float subnormal
        }
    }

    /// Random nests of random numbers: the packed document equals the generic one, and
    /// every value is bit for bit the correctly rounded one (`Double(text)`, glibc's
    /// `strtod`) and, for up to 9 significant digits (float32 values, the J1 workload), what
    /// Foundation's `JSONSerialization` reads. (On Linux, Foundation misrounds many 17-digit
    /// doubles by an ulp or more — `0.057797164824164464` reads as `0.05779716482416445` —
    /// so those are compared with `strtod` only.)
    @Test func randomDocumentsMatchTheGenericParseAndFoundation() throws {
        var rng = SplitMix64(seed: 4)
        var compared = (strtod: 0, foundation: 0)
        for round in 0..<60 {
            let rank = Int(rng.next() % 4)
            let shape = (0..<rank).map { _ in Int(rng.next() % 7) }
            var texts: [String] = []
            func nested(_ shape: ArraySlice<Int>) -> String {
                guard let n = shape.first else {
                    texts.append(Self.numberText(&rng))
                    return texts.last!
                }
                return "[" + (0..<n).map { _ in nested(shape.dropFirst()) }.joined(separator: rng.next() % 2 == 0 ? "," : " , ") + "]"
            }
            let text = #"{"tensors": {"x": {"data": \#(nested(shape[...]))}}, "meta": {"data": [1, 2.5]}}"#
            let p = try packed(text)
            let g = try plain(text)
            #expect(p == g, "round \(round)")
            #expect(JSONWriter.encode(p) == JSONWriter.encode(g))
            guard case .numbers(let n)? = p["tensors"]?["x"]?["data"] else {
                #expect(rank == 0, "round \(round): a rank-\(rank) nest was not packed")
                continue
            }
            // Dimensions after a 0 have no arrays to spell them.
            let spelled = shape.firstIndex(of: 0).map { Array(shape[...$0]) } ?? shape
            #expect(n.shape == spelled)
            let foundation = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]
            let x = ((foundation?["tensors"] as? [String: Any])?["x"] as? [String: Any])?["data"]
            var flat: [Double] = []
            func walk(_ v: Any?) {
                if let a = v as? [Any] { a.forEach(walk) } else if let d = (v as? NSNumber)?.doubleValue { flat.append(d) }
            }
            walk(x)
            #expect(flat.count == n.count && texts.count == n.count)
            for (k, (a, t)) in zip(n.values, texts).enumerated() {
                let exact = try #require(Double(t))
                #expect(a.bitPattern == exact.bitPattern, "round \(round): \(t) read as \(a), not \(exact)")
                compared.strtod += 1
                let digits = t.prefix { $0 != "e" && $0 != "E" }.filter(\.isNumber).drop { $0 == "0" }.count
                if digits <= 9 && k < flat.count {
                    #expect(a.bitPattern == flat[k].bitPattern, "round \(round): \(t) read as \(a), Foundation \(flat[k])")
                    compared.foundation += 1
                }
            }
        }
        #expect(compared.foundation > 500)
    }

    @Test func shapesOfEmptyAndNestedArrays() throws {
        let cases: [(String, [Int])] = [
            ("[]", [0]), ("[[]]", [1, 0]), ("[[], []]", [2, 0]), ("[[[]], [[]]]", [2, 1, 0]),
            ("[1]", [1]), ("[[1, 2], [3, 4]]", [2, 2]), (" [ [ 1 ] , [ 2 ] ] ", [2, 1]),
        ]
        for (data, shape) in cases {
            let v = try packed(#"{"data": \#(data)}"#)
            guard case .numbers(let n)? = v["data"] else {
                Issue.record("\(data) not packed")
                continue
            }
            #expect(n.shape == shape, "\(data)")
            #expect(v == (try plain(#"{"data": \#(data)}"#)))
        }
    }

    @Test func irregularDataStaysGeneric() throws {
        for data in ["[1, \"NaN\"]", "[[1, 2], [3]]", "[[1], 2]", "[1, [2]]", "[[], [1]]", "[[[]], [1]]", "[1e400]",
                     "[-1e400, 1]", "[true]", "[null]", "[{}]", "[[1, 2], [3, [4]]]"] {
            let text = #"{"data": \#(data)}"#
            let v = try packed(text)
            if case .numbers? = v["data"] { Issue.record("\(data) was packed") }
            #expect(v == (try plain(text)), "\(data)")
        }
    }

    @Test func onlyTheNamedKeysArePacked() throws {
        let v = try packed(#"{"shape": [2, 3], "data": [1, 2], "x": {"data": [[1]], "datum": [1]}}"#)
        if case .numbers? = v["shape"] { Issue.record("shape was packed") }
        if case .numbers? = v["x"]?["datum"] { Issue.record("datum was packed") }
        guard case .numbers? = v["data"], case .numbers? = v["x"]?["data"] else {
            Issue.record("data not packed")
            return
        }
    }

    /// Every syntax error inside packed data is reported as the generic parser reports it:
    /// same offset, pointer and message.
    @Test func errorsAreTheGenericParsersErrors() throws {
        let bad = [
            "[1, 2,]", "[1 2]", "[01]", "[1.]", "[-]", "[1e]", "[[1, 2], [3, 4]", "[1, 2", "[1,,2]", "[.5]",
            "[1, 2]]", "[[1], [2]}", "[+1]", "[1, 0x10]", "[\"a]", "[1e5, Infinity]", "[[1,2],\n[3,4,]]",
        ]
        for data in bad {
            let text = #"{"t": {"data": \#(data)}}"#
            var packedError: JSONParseError?
            var plainError: JSONParseError?
            do { _ = try packed(text) } catch { packedError = error }
            do { _ = try plain(text) } catch { plainError = error }
            #expect(packedError != nil, "\(data)")
            #expect(packedError == plainError, "\(data)")
        }
        // Every prefix of a packed document fails as the generic parse does.
        let doc = #"{"tensors": {"x": {"data": [[1.5, -2e3, 3], [4, 5, 6.25]]}}}"#
        let bytes = Array(doc.utf8)
        for k in 0..<bytes.count {
            let prefix = Array(bytes[..<k])
            var a: JSONParseError?
            var b: JSONParseError?
            do { _ = try JSONParser.parse(prefix, packing: ["data"]) } catch { a = error }
            do { _ = try JSONParser.parse(prefix) } catch { b = error }
            #expect(a == b && a != nil, "prefix \(k)")
        }
    }

    /// Random single-byte mutations of a packed document (digits, signs, points,
    /// exponents, separators): the packed parse gives exactly the generic parse's document
    /// or error.
    @Test func mutatedDocumentsParseAsTheGenericParserSays() {
        let doc = Array(#"{"t": {"shape": [2, 3], "data": [[0.12573022, -1.5e-7, 3], [40, -0.0, 6.25E+2]]}, "s": {"data": [-0.5, 1e308, 2]}}"#.utf8)
        let alphabet = Array("-+.eE0129,[] \"x".utf8)
        var rng = SplitMix64(seed: 11)
        for round in 0..<3000 {
            var bytes = doc
            for _ in 0..<(1 + Int(rng.next() % 3)) {
                let k = Int(rng.next() % UInt64(bytes.count))
                let c = alphabet[Int(rng.next() % UInt64(alphabet.count))]
                switch rng.next() % 3 {
                case 0: bytes[k] = c
                case 1: bytes.insert(c, at: k)
                default: bytes.remove(at: k)
                }
            }
            let packedResult = Result { () throws(JSONParseError) in try JSONParser.parse(bytes, packing: ["data"]) }
            let plainResult = Result { () throws(JSONParseError) in try JSONParser.parse(bytes) }
            switch (packedResult, plainResult) {
            case (.success(let a), .success(let b)):
                #expect(a == b, "round \(round): \(String(decoding: bytes, as: UTF8.self))")
            case (.failure(let a), .failure(let b)):
                #expect(a == b, "round \(round): \(String(decoding: bytes, as: UTF8.self))")
            default:
                Issue.record("round \(round): one parse failed, the other did not: \(String(decoding: bytes, as: UTF8.self))")
            }
        }
    }

    @Test func depthLimitHoldsInsidePackedData() throws {
        // {"data": [[[...]]]} with the object at depth 1: 3 arrays reach depth 4.
        let text = #"{"data": [[[1]]]}"#
        #expect(try packed(text, maxDepth: 4) == (try plain(text, maxDepth: 4)))
        var a: JSONParseError?
        var b: JSONParseError?
        do { _ = try packed(text, maxDepth: 3) } catch { a = error }
        do { _ = try plain(text, maxDepth: 3) } catch { b = error }
        #expect(a != nil && a == b)
        // Very deep data fails fast and cleanly.
        let deep = #"{"data": "# + String(repeating: "[", count: 100_000)
        #expect(throws: JSONParseError.self) { try packed(deep) }
    }

    @Test func duplicateKeysAreStillCaught() throws {
        let e = try #require(throws: JSONParseError.self) { try packed(#"{"x": {"data": [1, 2], "data": [3]}}"#) }
        #expect(e.pointer == "/x/data")
        #expect(e.message.contains("duplicate"))
    }

    /// The committed fixtures parse to the same documents both ways.
    @Test func fixturesParseTheSameBothWays() throws {
        let files = FixturePaths.files(in: FixturePaths.ops) + FixturePaths.files(in: FixturePaths.train)
            + FixturePaths.files(in: FixturePaths.examples)
        #expect(!files.isEmpty)
        for url in files {
            let bytes = try FixturePaths.bytes(url)
            let p = try JSONParser.parse(bytes, maxDepth: 64, packing: ["data"])
            let g = try JSONParser.parse(bytes, maxDepth: 64)
            #expect(p == g, "\(url.lastPathComponent)")
            #expect(p.unpacked == g, "\(url.lastPathComponent)")
        }
    }

    // MARK: float32 rounding

    /// Just above the Float midpoint 1 + 2^-24: the Double is the midpoint itself (so
    /// Float(Double) ties to even, 1.0), but the text rounds up to 1 + 2^-23.
    static let aboveTie = "1.000000059604644776257986737988403547205962240695953369140625"
    /// Just below the midpoint 1 + 3·2^-24, which ties to even upward: the text rounds down.
    static let belowTie = "1.000000178813934325304513262011596452794037759304046630859375"

    @Test func float32RoundsTheTextNotTheDouble() throws {
        let up = try #require(try plain(Self.aboveTie).numberValue)
        #expect(up.value == 1 + 0x1p-24)
        #expect(Float(up.value) == 1)
        #expect(up.float32Value == Float(1).nextUp)
        let down = try #require(try plain("-" + Self.belowTie).numberValue)
        #expect(Float(down.value) == -(1 + 0x1p-22))
        #expect(down.float32Value == -(1 + 0x1p-23))
        // An exact midpoint still ties to even; ordinary numbers are untouched.
        #expect(try plain("1.000000059604644775390625").numberValue?.float32Value == 1)
        #expect(try plain("0.1").numberValue?.float32Value == Float(0.1))
        // Packed, and number by number, both round the text.
        let text = #"{"data": [\#(Self.aboveTie), -\#(Self.belowTie)]}"#
        guard case .numbers(let n)? = try packed(text)["data"] else {
            Issue.record("not packed")
            return
        }
        #expect(n.float32Values == [Float(1).nextUp, -(1 + 0x1p-23)])
        #expect(n.values == [1 + 0x1p-24, -(1 + 3 * 0x1p-24)])
    }

    @Test func float32RoundingThroughTheService() throws {
        // Packed data, and data with a string in it (decoded number by number).
        for data in ["[\(Self.aboveTie), -\(Self.belowTie)]", "[\(Self.aboveTie), -\(Self.belowTie), \"NaN\"]"] {
            let body = #"{"encoding": "b64", "tensors": {"x": {"data": \#(data)}}, "ops": [{"id": "y", "op": "neg", "inputs": ["x"]}], "outputs": ["y"]}"#
            let r = GraphService().respond(to: .forward, body: Array(body.utf8))
            #expect(r.status == 200, "\(String(decoding: r.body, as: UTF8.self))")
            let b64 = try #require(try JSONParser.parse(r.body)["outputs"]?["y"]?["b64"]?.stringValue)
            let bytes = try Base64.decode(b64)
            let floats = bytes.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
            #expect(floats[0] == -Float(1).nextUp)
            #expect(floats[1] == 1 + 0x1p-23)
        }
    }

    @Test func midpointDetection() {
        #expect(JSONNumberArray.isFloat32Midpoint(1 + 0x1p-24))
        #expect(!JSONNumberArray.isFloat32Midpoint(1))
        #expect(!JSONNumberArray.isFloat32Midpoint(1 + 0x1p-23))
        #expect(JSONNumberArray.isFloat32Midpoint(0x1p-150))  // between 0 and the least subnormal
        #expect(JSONNumberArray.isFloat32Midpoint(3 * 0x1p-150))
        #expect(!JSONNumberArray.isFloat32Midpoint(0x1p-149))
        #expect(JSONNumberArray.isFloat32Midpoint(Double(Float.greatestFiniteMagnitude) + 0x1p103))
        #expect(!JSONNumberArray.isFloat32Midpoint(Double(Float.greatestFiniteMagnitude)))
        // Random doubles: the check agrees with a brute-force one.
        var rng = SplitMix64(seed: 9)
        for _ in 0..<100_000 {
            let f = Float(bitPattern: UInt32(truncatingIfNeeded: rng.next()) & 0x7F7F_FFFF)
            let mid = (Double(f) + Double(f.nextUp)) / 2
            #expect(JSONNumberArray.isFloat32Midpoint(mid) == f.nextUp.isFinite)
            #expect(!JSONNumberArray.isFloat32Midpoint(Double(f)))
        }
    }
}

import Autograd
import Testing

@testable import AutogradGraph

/// The engine's seeded generator, so that the random tests are reproducible.
private typealias JSONTestRNG = SplitMix64

private func parse(_ text: String, maxDepth: Int = 64) throws(JSONParseError) -> JSONValue {
    try JSONParser.parse(Array(text.utf8), maxDepth: maxDepth)
}

private func number(_ text: String) throws -> JSONNumber {
    let v = try parse(text)
    return try #require(v.numberValue, "\(text) did not parse as a number")
}

@Suite struct JSONParserTests {

    // MARK: Valid documents

    struct Valid: CustomTestStringConvertible, Sendable {
        let text: String
        let expected: JSONValue
        var testDescription: String { text }
    }

    static let valid: [Valid] = [
        Valid(text: "null", expected: nil),
        Valid(text: "true", expected: true),
        Valid(text: " \t\r\nfalse\n ", expected: false),
        Valid(text: "0", expected: 0),
        Valid(text: "\"\"", expected: ""),
        Valid(text: "\"abc\"", expected: "abc"),
        Valid(text: "[]", expected: []),
        Valid(text: "{}", expected: [:]),
        Valid(text: "[ ]", expected: []),
        Valid(text: "{ }", expected: [:]),
        Valid(text: "[1,[2,[3,[]]]]", expected: [1, [2, [3, []]]]),
        Valid(text: " [ 1 , 2.5 , -3 ] ", expected: [1, 2.5, -3]),
        Valid(
            text: #"{"b":1,"a":[true,null,false],"c":{"d":"e"}}"#,
            expected: ["b": 1, "a": [true, nil, false], "c": ["d": "e"]]),
        Valid(text: #""\"\\\/\b\f\n\r\t""#, expected: "\"\\/\u{8}\u{c}\n\r\t"),
        Valid(text: #""\u0041\u00e9\u00E9\u4e2d""#, expected: "Aéé中"),
        Valid(text: #""\ud83d\ude00""#, expected: "😀"),
        Valid(text: #""\uD834\uDD1E!""#, expected: "𝄞!"),
        Valid(text: #""\u0000""#, expected: "\u{0}"),
        Valid(text: #""a\u0000b""#, expected: "a\u{0}b"),
        Valid(text: "\"héllo 😀 中文\"", expected: "héllo 😀 中文"),
        Valid(text: "\"\u{7F}\u{80}\u{7FF}\u{800}\u{FFFF}\u{10000}\u{10FFFF}\"",
              expected: "\u{7F}\u{80}\u{7FF}\u{800}\u{FFFF}\u{10000}\u{10FFFF}"),
        Valid(text: #"{"é":"\u00e9x","x\ny":[{}]}"#, expected: ["é": "éx", "x\ny": [[:]]]),
        Valid(text: #"{"":0}"#, expected: ["": 0]),
        Valid(text: "[\"\\\\\",\"\\\"\"]", expected: ["\\", "\""]),
    ]

    @Test(arguments: valid)
    func parsesValidDocument(_ c: Valid) throws {
        let v = try parse(c.text)
        #expect(v == c.expected)
    }

    @Test func keyOrderIsPreserved() throws {
        let v = try parse(#"{"z":1,"a":2,"m":3,"b":{"y":1,"x":2}}"#)
        let o = try #require(v.objectValue)
        #expect(o.keys == ["z", "a", "m", "b"])
        #expect(o["b"]?.objectValue?.keys == ["y", "x"])
        #expect(o["a"] == 2)
        #expect(o["missing"] == nil)
        // Equality is order-sensitive.
        #expect(try parse(#"{"a":1,"b":2}"#) != (try parse(#"{"b":2,"a":1}"#)))
    }

    @Test func manyKeysUseHashedDuplicateCheck() throws {
        let keys = (0..<100).map { "k\($0)" }
        let text = "{" + keys.map { "\"\($0)\":1" }.joined(separator: ",") + "}"
        #expect(try parse(text).objectValue?.keys == keys)
        let dup = "{" + keys.map { "\"\($0)\":1" }.joined(separator: ",") + ",\"k42\":2}"
        let e = try #require(throws: JSONParseError.self) { try parse(dup) }
        #expect(e.pointer == "/k42")
        #expect(e.message.contains("duplicate key \"k42\""))
    }

    @Test func rawBufferEntryPoint() throws {
        let bytes = Array(#"{"a":[1,2]}"#.utf8)
        let v = try bytes.withUnsafeBytes { try JSONParser.parse($0) }
        #expect(v == ["a": [1, 2]])
        let empty = try #require(throws: JSONParseError.self) {
            try JSONParser.parse(UnsafeRawBufferPointer(start: nil, count: 0))
        }
        #expect(empty.message == "empty input")
    }

    // MARK: Numbers

    struct Num: CustomTestStringConvertible, Sendable {
        let text: String
        let value: Double
        let isInteger: Bool
        var testDescription: String { text }
    }

    static let numbers: [Num] = [
        Num(text: "0", value: 0, isInteger: true),
        Num(text: "-0", value: -0.0, isInteger: true),
        Num(text: "-0.0", value: -0.0, isInteger: false),
        Num(text: "0e5", value: 0, isInteger: false),
        Num(text: "1", value: 1, isInteger: true),
        Num(text: "-17", value: -17, isInteger: true),
        Num(text: "1.5e3", value: 1500, isInteger: false),
        Num(text: "1E-2", value: 0.01, isInteger: false),
        Num(text: "1e+2", value: 100, isInteger: false),
        Num(text: "0.1", value: 0.1, isInteger: false),
        Num(text: "0.000001", value: 0.000001, isInteger: false),
        Num(text: "123456789012345678901234567890", value: 123456789012345678901234567890.0, isInteger: true),
        Num(text: "9007199254740993", value: 9007199254740992, isInteger: true),
        Num(text: "18446744073709551615", value: 18446744073709551615.0, isInteger: true),
        Num(text: "18446744073709551616", value: 18446744073709551616.0, isInteger: true),
        Num(text: "5e-324", value: .leastNonzeroMagnitude, isInteger: false),
        Num(text: "4.9406564584124654e-324", value: .leastNonzeroMagnitude, isInteger: false),
        Num(text: "2.4703282292062328e-324", value: .leastNonzeroMagnitude, isInteger: false),
        Num(text: "2.4703282292062327e-324", value: 0, isInteger: false),
        Num(text: "1.7976931348623157e308", value: 1.7976931348623157e308, isInteger: false),
        Num(text: "1.7976931348623158e308", value: 1.7976931348623157e308, isInteger: false),
        Num(text: "1.7976931348623159e308", value: .infinity, isInteger: false),
        Num(text: "2.2250738585072014e-308", value: 2.2250738585072014e-308, isInteger: false),
        Num(text: "2.2250738585072011e-308", value: Double(bitPattern: 0x000F_FFFF_FFFF_FFFF), isInteger: false),
        Num(text: "1e22", value: 1e22, isInteger: false),
        Num(text: "1e23", value: 1e23, isInteger: false),
        Num(text: "123e30", value: 123e30, isInteger: false),
        Num(text: "9007199254740993e-5", value: 9007199254740993e-5, isInteger: false),
        Num(text: "0.30000000000000004", value: 0.30000000000000004, isInteger: false),
        Num(text: "3.141592653589793238462643383279", value: 3.141592653589793, isInteger: false),
        // Exact halfway cases: ties to even (Eisel-Lemire and strtod paths).
        Num(text: "90071992547409930e-1", value: 9007199254740992, isInteger: false),
        Num(text: "90071992547409950e-1", value: 9007199254740996, isInteger: false),
        Num(text: "9007199254740993.0", value: 9007199254740992, isInteger: false),
        Num(
            text: "1.00000000000000011102230246251565404236316680908203125", value: 1, isInteger: false),
        Num(
            text: "1.00000000000000011102230246251565404236316680908203126", value: 1.0000000000000002,
            isInteger: false),
        Num(text: "7.2057594037927933e16", value: 72057594037927936, isInteger: false),
        Num(text: "0.1e1", value: 1, isInteger: false),
        Num(text: "4.9e-324", value: .leastNonzeroMagnitude, isInteger: false),
        Num(text: "1e-323", value: Double(bitPattern: 2), isInteger: false),
        Num(text: "8.98846567431158e307", value: 8.98846567431158e307, isInteger: false),
        Num(text: "1e400", value: .infinity, isInteger: false),
        Num(text: "-1e400", value: -.infinity, isInteger: false),
        Num(text: "1e-400", value: 0, isInteger: false),
        Num(text: "-1e-400", value: -0.0, isInteger: false),
        Num(text: "1e999999999999999999999", value: .infinity, isInteger: false),
        Num(text: "1e-999999999999999999999", value: 0, isInteger: false),
        Num(text: "0e999999999999999999999", value: 0, isInteger: false),
        Num(
            text: "0." + String(repeating: "0", count: 400) + "1e400", value: 0.1, isInteger: false),
        Num(text: String(repeating: "9", count: 400), value: .infinity, isInteger: true),
        Num(
            text: "1" + String(repeating: "0", count: 400) + "e-400", value: 1, isInteger: false),
    ]

    @Test(arguments: numbers)
    func parsesNumber(_ c: Num) throws {
        let n = try number(c.text)
        #expect(n.value.bitPattern == c.value.bitPattern, "\(c.text) -> \(n.value), expected \(c.value)")
        #expect(n.isIntegerLiteral == c.isInteger)
    }

    @Test func exactInt() throws {
        #expect(try number("42").exactInt == 42)
        #expect(try number("-0").exactInt == 0)
        #expect(try number("-9007199254740991").exactInt == -9_007_199_254_740_991)
        #expect(try number("9007199254740992").exactInt == nil)
        #expect(try number("9007199254740993").exactInt == nil)
        #expect(try number("2.0").exactInt == nil)
        #expect(try number("1e3").exactInt == nil)
        #expect(try number("1e400").exactInt == nil)
    }

    @Test func randomDoublesRoundTrip() throws {
        var rng = JSONTestRNG(seed: 0x5EED)
        var checked = 0
        while checked < 10_000 {
            // Half: any bit pattern (all exponents, subnormals); half: uniform in [-1e6, 1e6].
            let d: Double =
                checked % 2 == 0
                ? Double(bitPattern: rng.next()) : Double.random(in: -1e6...1e6, using: &rng)
            guard d.isFinite else { continue }
            let text = d.description
            let n = try number(text)
            #expect(n.value.bitPattern == d.bitPattern, "\(text) -> \(n.value)")
            checked += 1
        }
    }

    @Test func randomDigitStringsMatchStandardLibrary() throws {
        var rng = JSONTestRNG(seed: 42)
        let digits = Array("0123456789")
        for _ in 0..<10_000 {
            let count = Int.random(in: 1...25, using: &rng)
            var s = String(digits[Int.random(in: 1...9, using: &rng)])
            for _ in 1..<count { s.append(digits[Int.random(in: 0...9, using: &rng)]) }
            // Optionally put a decimal point somewhere inside, or make it 0.xxx.
            switch Int.random(in: 0..<3, using: &rng) {
            case 0: break
            case 1 where count > 1:
                let at = s.index(s.startIndex, offsetBy: Int.random(in: 1..<count, using: &rng))
                s.insert(".", at: at)
            default:
                s = "0." + String(repeating: "0", count: Int.random(in: 0...5, using: &rng)) + s
            }
            if Bool.random(using: &rng) {
                s += "e" + String(Int.random(in: -350...350, using: &rng))
            }
            if Bool.random(using: &rng) { s = "-" + s }
            let expected = try #require(Double(s))
            let n = try number(s)
            #expect(n.value.bitPattern == expected.bitPattern, "\(s) -> \(n.value), expected \(expected)")
        }
    }

    @Test func largeArrayOfNumbers() throws {
        var rng = JSONTestRNG(seed: 7)
        let values = (0..<1_000_000).map { _ in Double.random(in: -10...10, using: &rng) }
        var text: [UInt8] = [UInt8(ascii: "[")]
        text.reserveCapacity(values.count * 22)
        for (k, v) in values.enumerated() {
            if k > 0 { text.append(UInt8(ascii: ",")) }
            text.append(contentsOf: v.description.utf8)
        }
        text.append(UInt8(ascii: "]"))
        let parsed = try JSONParser.parse(text)
        let array = try #require(parsed.arrayValue)
        #expect(array.count == values.count)
        var mismatches = 0
        for (a, v) in zip(array, values) where a.numberValue?.value.bitPattern != v.bitPattern {
            mismatches += 1
        }
        #expect(mismatches == 0)
    }

    // MARK: Invalid documents

    struct Invalid: CustomTestStringConvertible, Sendable {
        let name: String
        let bytes: [UInt8]
        let message: String
        let pointer: String
        let offset: Int
        var maxDepth = 64
        var testDescription: String { name }

        init(_ text: String, _ message: String, _ pointer: String, _ offset: Int, maxDepth: Int = 64) {
            self.name = text.debugDescription
            self.bytes = Array(text.utf8)
            self.message = message
            self.pointer = pointer
            self.offset = offset
            self.maxDepth = maxDepth
        }

        init(bytes: [UInt8], _ message: String, _ pointer: String, _ offset: Int) {
            self.name = bytes.map { String($0, radix: 16) }.joined(separator: " ")
            self.bytes = bytes
            self.message = message
            self.pointer = pointer
            self.offset = offset
        }
    }

    static let q = UInt8(ascii: "\"")

    static let invalid: [Invalid] = [
        // Empty, whitespace, BOM, trailing garbage
        Invalid("", "empty input", "", 0),
        Invalid("  \n", "empty input", "", 3),
        Invalid(bytes: [0xEF, 0xBB, 0xBF, UInt8(ascii: "1")], "byte order mark", "", 0),
        Invalid("[1] x", "trailing characters after the JSON value", "", 4),
        Invalid("1 2", "trailing characters", "", 2),
        Invalid("\u{0B}1", "unexpected character byte 0x0B", "", 0),
        Invalid("\u{A0}1", "unexpected character byte 0xC2", "", 0),
        // Truncation
        Invalid("[1,2", "unexpected end of input, expected ',' or ']'", "", 4),
        Invalid("[1,", "unexpected end of input, expected a value", "/1", 3),
        Invalid("[", "unexpected end of input", "/0", 1),
        Invalid(#"{"a":1"#, "unexpected end of input, expected ',' or '}'", "", 6),
        Invalid(#"{"a":"#, "unexpected end of input, expected a value", "/a", 5),
        Invalid(#"{"a""#, "unexpected end of input, expected ':'", "/a", 4),
        Invalid("{", "unexpected end of input, expected a string key", "", 1),
        Invalid(#""abc"#, "unterminated string", "", 0),
        Invalid(#"["abc\"#, "unterminated string", "/0", 5),
        Invalid("tru", "unexpected end of input in literal", "", 3),
        // Separators
        Invalid("[1,2,]", "trailing comma in array", "", 4),
        Invalid("[1, ]", "trailing comma in array", "", 2),
        Invalid(#"{"a":1,}"#, "trailing comma in object", "", 6),
        Invalid("[1 2]", "unexpected character '2', expected ',' or ']'", "", 3),
        Invalid(#"{"a":1 "b":2}"#, "expected ',' or '}'", "", 7),
        Invalid(#"{"a" 1}"#, "unexpected character '1', expected ':'", "/a", 5),
        Invalid("{1:2}", "expected a string key", "", 1),
        Invalid(#"{"a":}"#, "unexpected character '}', expected a value", "/a", 5),
        Invalid("[,1]", "unexpected character ','", "/0", 1),
        Invalid(#"{'a':1}"#, "unexpected character ''', expected a string key", "", 1),
        // Literals
        Invalid("trUe", "invalid literal, expected 'true'", "", 0),
        Invalid("[nul]", "invalid literal, expected 'null'", "/0", 1),
        Invalid("True", "unexpected character 'T'", "", 0),
        // Numbers
        Invalid("01", "number has a leading zero", "", 0),
        Invalid("[-01]", "number has a leading zero", "/0", 2),
        Invalid("+1", "unexpected character '+'", "", 0),
        Invalid(".5", "unexpected character '.'", "", 0),
        Invalid("1.", "expected a digit after the decimal point", "", 2),
        Invalid("1.e5", "expected a digit after the decimal point", "", 2),
        Invalid("1e", "expected a digit in the exponent", "", 2),
        Invalid("1e+", "expected a digit in the exponent", "", 3),
        Invalid("-", "expected a digit after '-'", "", 1),
        Invalid("-a", "expected a digit after '-'", "", 1),
        Invalid("NaN", "unexpected character 'N'", "", 0),
        Invalid("Infinity", "unexpected character 'I'", "", 0),
        Invalid("-Infinity", "expected a digit after '-'", "", 1),
        Invalid("0x10", "trailing characters", "", 1),
        Invalid("[0x10]", "unexpected character 'x', expected ',' or ']'", "", 2),
        // Strings
        Invalid("[\"a\u{1}\"]", "control character U+0001 in string must be escaped", "/0", 3),
        Invalid("\"a\tb\"", "control character U+0009", "", 2),
        Invalid("\"a\nb\"", "control character U+000A", "", 2),
        Invalid(bytes: [q, 0xC3, 0x28, q], "invalid UTF-8", "", 1),
        Invalid(bytes: [q, 0x80, q], "invalid UTF-8", "", 1),
        Invalid(bytes: [q, 0xC0, 0xAF, q], "invalid UTF-8", "", 1),  // overlong '/'
        Invalid(bytes: [q, 0xE0, 0x80, 0xAF, q], "invalid UTF-8", "", 1),  // overlong
        Invalid(bytes: [q, 0xF0, 0x80, 0x80, 0xAF, q], "invalid UTF-8", "", 1),  // overlong
        Invalid(bytes: [q, 0xED, 0xA0, 0x80, q], "invalid UTF-8", "", 1),  // U+D800 in UTF-8
        Invalid(bytes: [q, 0xF4, 0x90, 0x80, 0x80, q], "invalid UTF-8", "", 1),  // > U+10FFFF
        Invalid(bytes: [q, 0xF8, 0x88, 0x80, 0x80, 0x80, q], "invalid UTF-8", "", 1),
        Invalid(bytes: [q, 0xFF, q], "invalid UTF-8", "", 1),
        Invalid(bytes: [q, 0x61, 0xE2, 0x82, q], "invalid UTF-8", "", 2),  // truncated
        Invalid(bytes: [q, 0xE2, 0x82], "invalid UTF-8 (truncated sequence)", "", 1),
        Invalid(
            bytes: Array(#"{"a":"#.utf8) + [q, 0x41, 0xC3, q] + [UInt8(ascii: "}")], "invalid UTF-8", "/a", 7),
        Invalid(bytes: [UInt8(ascii: "{"), q, 0xFE, q, UInt8(ascii: ":"), UInt8(ascii: "1"), UInt8(ascii: "}")],
                "invalid UTF-8", "", 2),
        Invalid(#""\x""#, "invalid escape '\\x'", "", 1),
        Invalid(#""ab\'""#, "invalid escape '\\''", "", 3),
        Invalid(#"["\u12"]"#, "invalid \\u escape", "/0", 2),
        Invalid(#""\u12g4""#, "invalid \\u escape", "", 1),
        Invalid(#""\ud800""#, "lone surrogate", "", 1),
        Invalid(#""\ud800x""#, "lone surrogate", "", 1),
        Invalid(#""\ud800\u0041""#, "lone surrogate", "", 1),
        Invalid(#""\ud800\ud800""#, "lone surrogate", "", 1),
        Invalid(#""ab\udc00""#, "lone surrogate", "", 3),
        Invalid(#""\ud800"#, "lone surrogate", "", 1),
        // Duplicate keys: pointer at the duplicate member, offset at its key
        Invalid(#"{"a":1,"a":2}"#, "duplicate key \"a\"", "/a", 7),
        Invalid(#"{"a":{"b":1,"b":2}}"#, "duplicate key \"b\"", "/a/b", 12),
        Invalid(#"{"x/y":1,"x/y":2}"#, "duplicate key", "/x~1y", 9),
        // Pointers through nesting and escaping
        Invalid(#"{"a":[1,{"b":[tru]}]}"#, "invalid literal", "/a/1/b/0", 14),
        Invalid(#"{"a/b":{"m~n":[x]}}"#, "unexpected character 'x'", "/a~1b/m~0n/0", 15),
        Invalid(#"{"~1":[0,[1,2,01]]}"#, "leading zero", "/~01/1/2", 14),
        // Depth
        Invalid("[[1]]", "nesting deeper than 1", "/0", 1, maxDepth: 1),
        Invalid(#"{"a":{}}"#, "nesting deeper than 1", "/a", 5, maxDepth: 1),
        Invalid("[]", "nesting deeper than 0", "", 0, maxDepth: 0),
    ]

    @Test(arguments: invalid)
    func rejectsInvalidDocument(_ c: Invalid) throws {
        let e = try #require(throws: JSONParseError.self) {
            try JSONParser.parse(c.bytes, maxDepth: c.maxDepth)
        }
        #expect(e.message.contains(c.message), "message: \(e.message)")
        #expect(e.pointer == c.pointer)
        #expect(e.offset == c.offset)
    }

    @Test func nestingAtTheLimitIsAccepted() throws {
        let text = String(repeating: "[", count: 64) + String(repeating: "]", count: 64)
        #expect(throws: Never.self) { try parse(text) }
        let objects = String(repeating: #"{"a":"#, count: 64) + "1" + String(repeating: "}", count: 64)
        #expect(throws: Never.self) { try parse(objects) }
        #expect(try parse("1", maxDepth: 0) == 1)
    }

    @Test func deepNestingFailsWithoutRecursion() throws {
        let bytes = [UInt8](repeating: UInt8(ascii: "["), count: 100_000)
        let e = try #require(throws: JSONParseError.self) { try JSONParser.parse(bytes) }
        #expect(e.message == "nesting deeper than 64")
        #expect(e.offset == 64)
        #expect(e.pointer == String(repeating: "/0", count: 64))
        // A huge maxDepth is clamped, so it cannot blow the stack either.
        let e2 = try #require(throws: JSONParseError.self) {
            try JSONParser.parse(bytes, maxDepth: Int.max)
        }
        #expect(e2.message == "nesting deeper than \(JSONParser.depthLimit)")
        let mixed = Array(String(repeating: #"{"k":["#, count: 50_000).utf8)
        let e3 = try #require(throws: JSONParseError.self) { try JSONParser.parse(mixed) }
        #expect(e3.message == "nesting deeper than 64")
        #expect(e3.pointer == String(repeating: "/k/0", count: 32))
    }

    @Test func everyPrefixOfAValidDocumentFailsCleanly() throws {
        let doc = Array(#"{"a":[1,-2.5e3,true,null,"\u00e9\ud83d\ude00x"],"b":{"c":"é"}}"#.utf8)
        #expect(throws: Never.self) { try JSONParser.parse(doc) }
        for n in 0..<doc.count {
            #expect(throws: JSONParseError.self) { try JSONParser.parse(Array(doc[0..<n])) }
        }
    }

    @Test func randomBytesNeverTrap() {
        var rng = JSONTestRNG(seed: 99)
        let alphabet = Array("[]{}\",:-+.0123456789eE \\utrfnalsx/".utf8) + [0x00, 0x1F, 0x80, 0xC3, 0xED, 0xF4, 0xFF]
        for _ in 0..<20_000 {
            let n = Int.random(in: 0...24, using: &rng)
            let bytes = (0..<n).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &rng)] }
            do {
                _ = try JSONParser.parse(bytes, maxDepth: 4)
            } catch {
                #expect(error.offset >= 0 && error.offset <= bytes.count)
            }
        }
    }

    // MARK: Pointer tokens

    @Test(arguments: [
        ("a", "a"), ("a/b", "a~1b"), ("m~n", "m~0n"), ("~1", "~01"), ("/~", "~1~0"), ("", ""),
        ("é/ü", "é~1ü"),
    ])
    func pointerToken(_ input: String, _ expected: String) {
        #expect(jsonPointerToken(input) == expected)
    }
}

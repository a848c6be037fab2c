import CBase64

/// Strict RFC 8259 JSON parser over bytes.
///
/// - Exactly one value, surrounded by optional whitespace (space, tab, LF, CR only).
///   No byte order mark, no trailing characters.
/// - Numbers follow the RFC grammar exactly and convert to the correctly rounded
///   `Double` (see `JSONNumberParsing`); out-of-range literals give `±infinity`.
/// - Strings must be valid UTF-8 without raw control characters; escapes are decoded,
///   surrogate pairs combined, lone surrogates rejected.
/// - Duplicate keys in an object are an error.
/// - Nesting is bounded by `maxDepth` *before* recursing, so adversarial input such
///   as 100,000 `[` fails quickly without deep recursion.
///
/// Every error carries the byte offset and an RFC 6901 JSON Pointer to the value being
/// parsed (see `JSONParseError`).
public enum JSONParser {
    /// The largest `maxDepth` honoured; larger values are treated as this, so that the
    /// recursion stays well within the stack.
    public static let depthLimit = 1_000

    /// Parses one JSON document.
    /// - Parameter maxDepth: the number of nested arrays/objects allowed (the root
    ///   container counts as 1; scalars don't count). 0 admits only a scalar document.
    public static func parse(_ bytes: [UInt8], maxDepth: Int = 64) throws(JSONParseError) -> JSONValue {
        // withUnsafeBytes cannot forward a typed error; carry the result out instead.
        let result: Result<JSONValue, JSONParseError> = bytes.withUnsafeBytes { buffer in
            do throws(JSONParseError) {
                return .success(try parse(buffer, maxDepth: maxDepth))
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    /// Parses one JSON document from raw bytes (which must stay valid for the call).
    public static func parse(_ bytes: UnsafeRawBufferPointer, maxDepth: Int = 64) throws(JSONParseError) -> JSONValue {
        try parse(bytes, maxDepth: maxDepth, packing: [])
    }

    /// Parses one JSON document, storing the value of every object member named in
    /// `packing` that is an array of finite numbers, or a rectangular nest of them, as one
    /// `.numbers` (shape and flat `[Double]`) rather than one `JSONValue` per number — the
    /// graph format's tensor `data`, read at several times the speed. Any other value of
    /// such a member (ragged, a string, `1e400`, a syntax error) is parsed as usual, so the
    /// document, its errors and their pointers are exactly those of `parse(_:maxDepth:)`.
    public static func parse(_ bytes: [UInt8], maxDepth: Int = 64, packing keys: [String]) throws(JSONParseError) -> JSONValue {
        let result: Result<JSONValue, JSONParseError> = bytes.withUnsafeBytes { buffer in
            do throws(JSONParseError) {
                return .success(try parse(buffer, maxDepth: maxDepth, packing: keys))
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    /// As `parse(_:maxDepth:packing:)`, from raw bytes (which must stay valid for the call).
    public static func parse(_ bytes: UnsafeRawBufferPointer, maxDepth: Int = 64, packing keys: [String]) throws(JSONParseError) -> JSONValue {
        guard let base = bytes.baseAddress, bytes.count > 0 else {
            throw JSONParseError(offset: 0, pointer: "", message: "empty input")
        }
        var parser = Parser(
            base: base.assumingMemoryBound(to: UInt8.self), count: bytes.count,
            maxDepth: min(max(maxDepth, 0), depthLimit))
        parser.packedKeys = keys
        defer { parser.releaseStack() }
        return try parser.parseDocument()
    }
}

// MARK: - The parser

/// ASCII codes used below.
private enum A {
    static let quote = UInt8(ascii: "\"")
    static let backslash = UInt8(ascii: "\\")
    static let slash = UInt8(ascii: "/")
    static let comma = UInt8(ascii: ",")
    static let colon = UInt8(ascii: ":")
    static let lbracket = UInt8(ascii: "[")
    static let rbracket = UInt8(ascii: "]")
    static let lbrace = UInt8(ascii: "{")
    static let rbrace = UInt8(ascii: "}")
    static let minus = UInt8(ascii: "-")
    static let plus = UInt8(ascii: "+")
    static let dot = UInt8(ascii: ".")
    static let zero = UInt8(ascii: "0")
    static let nine = UInt8(ascii: "9")
    static let e = UInt8(ascii: "e")
    static let E = UInt8(ascii: "E")
    static let space = UInt8(ascii: " ")
    static let tab = UInt8(ascii: "\t")
    static let lf = UInt8(ascii: "\n")
    static let cr = UInt8(ascii: "\r")
}

@inline(__always) private func isDigit(_ c: UInt8) -> Bool { c &- A.zero < 10 }

/// Describes a byte for an error message: `'x'` for printable ASCII, `byte 0xNN`
/// otherwise.
func describeByte(_ c: UInt8) -> String {
    if c >= 0x21 && c < 0x7F { return "'\(Character(Unicode.Scalar(c)))'" }
    if c == A.space { return "' '" }
    let hex = String(c, radix: 16, uppercase: true)
    return "byte 0x" + (hex.count == 1 ? "0" + hex : hex)
}

struct Parser {
    let base: UnsafePointer<UInt8>
    let count: Int
    let maxDepth: Int
    /// Read position.
    var i = 0
    /// Scratch space for strings with escapes.
    var scratch: [UInt8] = []
    /// Elements of the arrays being parsed, innermost last. Each array is moved out into
    /// an exactly sized `[JSONValue]` when it closes, so large arrays are built without
    /// repeated reallocation. Owned: `releaseStack()` must run when parsing ends.
    var stack: UnsafeMutablePointer<JSONValue>
    var stackCount = 0
    var stackCapacity = 256
    /// Members whose array values are packed into `.numbers` (see `parsePacked`).
    var packedKeys: [String] = []
    /// Scratch for the numbers of the array being packed; owned, grown by doubling.
    var packScratch: UnsafeMutablePointer<Double>? = nil
    var packCapacity = 0

    init(base: UnsafePointer<UInt8>, count: Int, maxDepth: Int) {
        self.base = base
        self.count = count
        self.maxDepth = maxDepth
        self.stack = .allocate(capacity: stackCapacity)
    }

    mutating func releaseStack() {
        stack.deinitialize(count: stackCount)
        stack.deallocate()
        stackCount = 0
        stackCapacity = 0
        packScratch?.deallocate()
        packScratch = nil
        packCapacity = 0
    }

    @inline(__always) mutating func push(_ value: consuming JSONValue) {
        if stackCount == stackCapacity { growStack() }
        (stack + stackCount).initialize(to: value)
        stackCount += 1
    }

    @inline(never) mutating func growStack() {
        let capacity = Swift.max(stackCapacity * 2, 256)
        let grown = UnsafeMutablePointer<JSONValue>.allocate(capacity: capacity)
        grown.moveInitialize(from: stack, count: stackCount)
        stack.deallocate()
        stack = grown
        stackCapacity = capacity
    }

    /// Moves the stack entries from `start` on into a new array.
    mutating func popArray(from start: Int) -> [JSONValue] {
        let n = stackCount - start
        guard n > 0 else { return [] }
        let source = stack + start
        let array = [JSONValue](unsafeUninitializedCapacity: n) { buffer, initialized in
            if let b = buffer.baseAddress {
                b.moveInitialize(from: source, count: n)
                initialized = n
            }
        }
        stackCount = start
        return array
    }

    @inline(__always) func fail(_ message: String, at offset: Int) -> JSONParseError {
        JSONParseError(offset: offset, pointer: "", message: message)
    }

    @inline(__always) mutating func skipWhitespace() {
        while i < count {
            let c = base[i]
            guard c == A.space || c == A.lf || c == A.cr || c == A.tab else { return }
            i += 1
        }
    }

    mutating func parseDocument() throws(JSONParseError) -> JSONValue {
        if count >= 3 && base[0] == 0xEF && base[1] == 0xBB && base[2] == 0xBF {
            throw fail("byte order mark (U+FEFF) is not allowed", at: 0)
        }
        skipWhitespace()
        if i == count { throw fail("empty input", at: i) }
        let value = try parseValue(depth: 0)
        skipWhitespace()
        if i != count { throw fail("trailing characters after the JSON value", at: i) }
        return value
    }

    /// Parses the value at `i` (whitespace already skipped, `i < count`). `depth` is the
    /// number of enclosing containers.
    mutating func parseValue(depth: Int) throws(JSONParseError) -> JSONValue {
        let c = base[i]
        switch c {
        case A.quote:
            return .string(try parseString())
        case A.minus, A.zero...A.nine:
            return .number(try parseNumber())
        case A.lbracket:
            if depth >= maxDepth { throw fail("nesting deeper than \(maxDepth)", at: i) }
            return try parseArray(depth: depth + 1)
        case A.lbrace:
            if depth >= maxDepth { throw fail("nesting deeper than \(maxDepth)", at: i) }
            return try parseObject(depth: depth + 1)
        case UInt8(ascii: "t"):
            try literal("true")
            return .bool(true)
        case UInt8(ascii: "f"):
            try literal("false")
            return .bool(false)
        case UInt8(ascii: "n"):
            try literal("null")
            return .null
        default:
            throw fail("unexpected character \(describeByte(c)), expected a value", at: i)
        }
    }

    mutating func literal(_ word: StaticString) throws(JSONParseError) {
        let start = i
        let w = word.utf8Start
        for k in 0..<word.utf8CodeUnitCount {
            if i == count {
                throw fail("unexpected end of input in literal, expected '\(word)'", at: i)
            }
            if base[i] != w[k] {
                throw fail("invalid literal, expected '\(word)'", at: start)
            }
            i += 1
        }
    }

    /// A value error from inside a container: prefix the reference token.
    @inline(never)
    func prefixed(_ error: JSONParseError, _ token: String) -> JSONParseError {
        JSONParseError(offset: error.offset, pointer: "/" + token + error.pointer, message: error.message)
    }

    mutating func parseArray(depth: Int) throws(JSONParseError) -> JSONValue {
        i += 1  // '['
        skipWhitespace()
        if i < count && base[i] == A.rbracket {
            i += 1
            return .array([])
        }
        let start = stackCount
        while true {
            if i == count {
                throw prefixed(fail("unexpected end of input, expected a value", at: i), String(stackCount - start))
            }
            let index = stackCount - start  // before parsing: nested arrays use the stack too
            let element: JSONValue
            do {
                let c = base[i]
                if c == A.minus || isDigit(c) {
                    element = .number(try parseNumber())
                } else {
                    element = try parseValue(depth: depth)
                }
            } catch {
                throw prefixed(error, String(index))
            }
            push(element)
            skipWhitespace()
            guard i < count else {
                throw fail("unexpected end of input, expected ',' or ']'", at: i)
            }
            let c = base[i]
            i += 1
            if c == A.comma {
                let comma = i - 1
                skipWhitespace()
                if i < count && base[i] == A.rbracket {
                    throw fail("trailing comma in array", at: comma)
                }
            } else if c == A.rbracket {
                return .array(popArray(from: start))
            } else {
                throw fail("unexpected character \(describeByte(c)), expected ',' or ']'", at: i - 1)
            }
        }
    }

    mutating func parseObject(depth: Int) throws(JSONParseError) -> JSONValue {
        i += 1  // '{'
        skipWhitespace()
        var members: [(key: String, value: JSONValue)] = []
        var seen: Set<String>? = nil  // built once the object grows past a few members
        if i < count && base[i] == A.rbrace {
            i += 1
            return .object(JSONObject(members))
        }
        while true {
            guard i < count else {
                throw fail("unexpected end of input, expected a string key", at: i)
            }
            guard base[i] == A.quote else {
                throw fail("unexpected character \(describeByte(base[i])), expected a string key", at: i)
            }
            let keyOffset = i
            let key = try parseString()
            // Duplicate check: linear for small objects, hashed beyond.
            var duplicate = false
            if seen != nil {
                duplicate = seen?.insert(key).inserted == false
            } else {
                for m in members where m.key == key {
                    duplicate = true
                    break
                }
                if members.count >= 8 {
                    var s = Set<String>(minimumCapacity: 32)
                    for m in members { s.insert(m.key) }
                    s.insert(key)
                    seen = s
                }
            }
            if duplicate {
                throw prefixed(fail("duplicate key \"\(key)\"", at: keyOffset), jsonPointerToken(key))
            }
            skipWhitespace()
            guard i < count else {
                throw prefixed(fail("unexpected end of input, expected ':'", at: i), jsonPointerToken(key))
            }
            guard base[i] == A.colon else {
                throw prefixed(fail("unexpected character \(describeByte(base[i])), expected ':'", at: i), jsonPointerToken(key))
            }
            i += 1
            skipWhitespace()
            guard i < count else {
                throw prefixed(fail("unexpected end of input, expected a value", at: i), jsonPointerToken(key))
            }
            var value: JSONValue
            do {
                if !packedKeys.isEmpty && base[i] == A.lbracket && packedKeys.contains(key),
                   let packed = parsePacked(depth: depth) {
                    value = .numbers(packed)
                } else {
                    value = try parseValue(depth: depth)
                }
            } catch {
                throw prefixed(error, jsonPointerToken(key))
            }
            members.append((key: key, value: value))
            skipWhitespace()
            guard i < count else {
                throw fail("unexpected end of input, expected ',' or '}'", at: i)
            }
            let c = base[i]
            i += 1
            if c == A.comma {
                let comma = i - 1
                skipWhitespace()
                if i < count && base[i] == A.rbrace {
                    throw fail("trailing comma in object", at: comma)
                }
            } else if c == A.rbrace {
                return .object(JSONObject(members))
            } else {
                throw fail("unexpected character \(describeByte(c)), expected ',' or '}'", at: i - 1)
            }
        }
    }

    // MARK: Strings

    /// Parses the string at `i` (which is at the opening quote).
    mutating func parseString() throws(JSONParseError) -> String {
        let open = i
        i += 1
        let start = i
        // Fast scan: plain ASCII up to the closing quote, 32 bytes a step where the CPU has
        // AVX2 (CBase64: long strings are base64 tensors), none of them '"', '\\', a control
        // character or non-ASCII.
        i &+= cb64_plain_run(base + i, count &- i)
        while i < count {
            let c = base[i]
            if c == A.quote {
                let s = String(decoding: UnsafeBufferPointer(start: base + start, count: i - start), as: UTF8.self)
                i += 1
                return s
            }
            if c == A.backslash || c < 0x20 || c >= 0x80 { break }
            i += 1
        }
        return try parseStringSlow(open: open, start: start)
    }

    /// Strings with escapes or non-ASCII bytes: validate, decode into `scratch`.
    mutating func parseStringSlow(open: Int, start: Int) throws(JSONParseError) -> String {
        scratch.removeAll(keepingCapacity: true)
        var runStart = start  // start of the bytes not yet copied into scratch
        var hasEscapes = false
        while true {
            guard i < count else { throw fail("unterminated string", at: open) }
            let c = base[i]
            if c < 0x80 {
                if c == A.quote {
                    let s: String
                    if hasEscapes {
                        scratch.append(contentsOf: UnsafeBufferPointer(start: base + runStart, count: i - runStart))
                        s = String(decoding: scratch, as: UTF8.self)
                    } else {
                        s = String(decoding: UnsafeBufferPointer(start: base + start, count: i - start), as: UTF8.self)
                    }
                    i += 1
                    return s
                }
                if c == A.backslash {
                    scratch.append(contentsOf: UnsafeBufferPointer(start: base + runStart, count: i - runStart))
                    hasEscapes = true
                    try parseEscape()
                    runStart = i
                    continue
                }
                if c < 0x20 {
                    let hex = String(c, radix: 16, uppercase: true)
                    throw fail(
                        "control character U+\(hex.count == 1 ? "000" : "00")\(hex) in string must be escaped",
                        at: i)
                }
                i += 1
                continue
            }
            try validateUTF8Sequence(lead: c)
        }
    }

    /// Validates one multi-byte UTF-8 sequence starting at `i` and steps over it.
    @inline(__always)
    mutating func validateUTF8Sequence(lead c: UInt8) throws(JSONParseError) {
        let at = i
        var need: Int
        var lo: UInt8 = 0x80
        var hi: UInt8 = 0xBF
        switch c {
        case 0xC2...0xDF: need = 1
        case 0xE0: need = 2; lo = 0xA0
        case 0xE1...0xEC, 0xEE...0xEF: need = 2
        case 0xED: need = 2; hi = 0x9F  // no UTF-16 surrogates
        case 0xF0: need = 3; lo = 0x90
        case 0xF1...0xF3: need = 3
        case 0xF4: need = 3; hi = 0x8F  // nothing beyond U+10FFFF
        default: throw fail("invalid UTF-8", at: at)
        }
        i += 1
        while need > 0 {
            guard i < count else { throw fail("invalid UTF-8 (truncated sequence)", at: at) }
            let d = base[i]
            guard d >= lo && d <= hi else { throw fail("invalid UTF-8", at: at) }
            lo = 0x80
            hi = 0xBF
            i += 1
            need -= 1
        }
    }

    /// Decodes the escape at `i` (at the backslash) into `scratch`.
    mutating func parseEscape() throws(JSONParseError) {
        let at = i
        guard i + 1 < count else { throw fail("unterminated string", at: at) }
        let c = base[i + 1]
        i += 2
        switch c {
        case A.quote: scratch.append(A.quote)
        case A.backslash: scratch.append(A.backslash)
        case A.slash: scratch.append(A.slash)
        case UInt8(ascii: "b"): scratch.append(0x08)
        case UInt8(ascii: "f"): scratch.append(0x0C)
        case UInt8(ascii: "n"): scratch.append(0x0A)
        case UInt8(ascii: "r"): scratch.append(0x0D)
        case UInt8(ascii: "t"): scratch.append(0x09)
        case UInt8(ascii: "u"):
            var scalar = try hex4(escapeAt: at)
            if scalar >= 0xDC00 && scalar <= 0xDFFF {
                throw fail("lone surrogate escape (low surrogate without a high one)", at: at)
            }
            if scalar >= 0xD800 && scalar <= 0xDBFF {
                guard i + 1 < count, base[i] == A.backslash, base[i + 1] == UInt8(ascii: "u") else {
                    throw fail("lone surrogate escape (high surrogate not followed by a low one)", at: at)
                }
                let second = i
                i += 2
                let low = try hex4(escapeAt: second)
                guard low >= 0xDC00 && low <= 0xDFFF else {
                    throw fail("lone surrogate escape (high surrogate not followed by a low one)", at: at)
                }
                scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
            }
            appendUTF8(scalar)
        default:
            if c < 0x20 || c >= 0x80 {
                throw fail("invalid escape sequence", at: at)
            }
            throw fail("invalid escape '\\\(Character(Unicode.Scalar(c)))'", at: at)
        }
    }

    /// Four hex digits at `i`.
    mutating func hex4(escapeAt at: Int) throws(JSONParseError) -> UInt32 {
        guard i + 4 <= count else { throw fail("unterminated string (truncated \\u escape)", at: at) }
        var v: UInt32 = 0
        for _ in 0..<4 {
            let c = base[i]
            let d: UInt8
            switch c {
            case A.zero...A.nine: d = c - A.zero
            case UInt8(ascii: "a")...UInt8(ascii: "f"): d = c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): d = c - UInt8(ascii: "A") + 10
            default: throw fail("invalid \\u escape: expected 4 hex digits", at: at)
            }
            v = v << 4 | UInt32(d)
            i += 1
        }
        return v
    }

    mutating func appendUTF8(_ s: UInt32) {
        if s < 0x80 {
            scratch.append(UInt8(s))
        } else if s < 0x800 {
            scratch.append(UInt8(0xC0 | (s >> 6)))
            scratch.append(UInt8(0x80 | (s & 0x3F)))
        } else if s < 0x10000 {
            scratch.append(UInt8(0xE0 | (s >> 12)))
            scratch.append(UInt8(0x80 | ((s >> 6) & 0x3F)))
            scratch.append(UInt8(0x80 | (s & 0x3F)))
        } else {
            scratch.append(UInt8(0xF0 | (s >> 18)))
            scratch.append(UInt8(0x80 | ((s >> 12) & 0x3F)))
            scratch.append(UInt8(0x80 | ((s >> 6) & 0x3F)))
            scratch.append(UInt8(0x80 | (s & 0x3F)))
        }
    }

    // MARK: Numbers

    /// Parses the number at `i` (at '-' or a digit).
    mutating func parseNumber() throws(JSONParseError) -> JSONNumber {
        var negative = false
        if base[i] == A.minus {
            negative = true
            i += 1
            guard i < count, isDigit(base[i]) else {
                throw fail("expected a digit after '-'", at: i)
            }
        }
        // Significand: up to 19 significant digits accumulate exactly in `mantissa`.
        var mantissa: UInt64 = 0
        var significant = 0  // digits in mantissa, leading zeros excluded
        var truncated = false  // more than 19 significant digits
        var fractionDigits = 0
        var integer = true
        let intStart = i
        if base[i] == A.zero {
            i += 1
            if i < count && isDigit(base[i]) {
                throw fail("number has a leading zero", at: i - 1)
            }
        } else {
            while i < count {
                let d = base[i] &- A.zero
                guard d < 10 else { break }
                if significant < 19 {
                    mantissa = mantissa &* 10 &+ UInt64(d)
                    significant += 1
                } else {
                    truncated = true
                }
                i += 1
            }
        }
        let intEnd = i
        if i < count && base[i] == A.dot {
            integer = false
            i += 1
            let fracStart = i
            while i < count {
                let d = base[i] &- A.zero
                guard d < 10 else { break }
                if mantissa == 0 && d == 0 {
                    // a leading zero of the significand: only shifts the scale
                } else if significant < 19 {
                    mantissa = mantissa &* 10 &+ UInt64(d)
                    significant += 1
                } else {
                    truncated = true
                }
                i += 1
            }
            fractionDigits = i - fracStart
            if fractionDigits == 0 {
                throw fail("expected a digit after the decimal point", at: i)
            }
        }
        var exponent = 0
        if i < count && (base[i] | 0x20) == A.e {
            integer = false
            i += 1
            var expNegative = false
            if i < count && (base[i] == A.plus || base[i] == A.minus) {
                expNegative = base[i] == A.minus
                i += 1
            }
            guard i < count, isDigit(base[i]) else {
                throw fail("expected a digit in the exponent", at: i)
            }
            while i < count {
                let d = base[i] &- A.zero
                guard d < 10 else { break }
                if exponent < 100_000_000 { exponent = exponent * 10 + Int(d) }  // saturates
                i += 1
            }
            if expNegative { exponent = -exponent }
        }

        // Value = mantissa * 10^scale when not truncated.
        let scale = exponent - fractionDigits
        var value: Double
        if mantissa == 0 && !truncated {
            value = 0
        } else if !truncated, let fast = JSONNumberParsing.fastPath(mantissa: mantissa, scale: scale) {
            value = fast
        } else if !truncated, let el = JSONNumberParsing.eiselLemire(mantissa, scale) {
            value = el
        } else {
            value = JSONNumberParsing.slowPath(
                base: base, intStart: intStart, intEnd: intEnd, fractionDigits: fractionDigits, scale: scale)
        }
        var tie: Int8 = 0
        if value.isFinite && value != 0 && JSONNumberArray.isFloat32Midpoint(value) {
            tie = float32Tie(value, intStart: intStart, intEnd: intEnd, fractionDigits: fractionDigits, scale: scale)
        }
        if negative { value = -value }
        return JSONNumber(value: value, isIntegerLiteral: integer, float32Tie: tie)
    }

    /// For `value`, a `Float` midpoint read from the digits at `intStart`: which side of it
    /// the digits are (the correctly rounded `Float` of the text, from `strtof`, decides).
    @inline(never)
    func float32Tie(_ value: Double, intStart: Int, intEnd: Int, fractionDigits: Int, scale: Int) -> Int8 {
        let exact = JSONNumberParsing.slowPathFloat(
            base: base, intStart: intStart, intEnd: intEnd, fractionDigits: fractionDigits, scale: scale)
        if exact == Float(value) { return 0 }
        return Double(exact) > value ? 1 : -1
    }
}

// MARK: - Packed number arrays

extension Parser {
    /// Parses the array at `i` (at '[') into a `JSONNumberArray` when it is an array of
    /// finite numbers or a rectangular nest of them within the depth limit; otherwise
    /// returns nil with `i` back at the '[' (nothing consumed), and the caller parses it
    /// as usual — which finds the same syntax errors and reports them with their pointers.
    /// A rejected array is read at most twice; its elements are never packed.
    ///
    /// Iterative: one counter per level of nesting, so depth costs no stack.
    /// `depth` is the number of containers around the array, as in `parseValue(depth:)`.
    mutating func parsePacked(depth: Int) -> JSONNumberArray? {
        let start = i
        // Per level of nesting: the length every array at that level must have (-1 until
        // the first one closes), the elements of the open one, and what they are
        // (0 unknown, 1 arrays, 2 numbers).
        var dims: [Int] = []
        var counts: [Int] = []
        var kinds: [UInt8] = []
        var level = -1
        var n = 0  // numbers so far
        var integerBits: [UInt64] = []
        var ties: [JSONNumberArray.Float32Tie] = []
        defer { if level >= 0 { i = start } }  // rejected: rewind

        let levels = maxDepth - depth  // arrays this nest may open
        // At '[': open a level (false past the depth limit).
        @inline(__always) func open(_ i: inout Int, _ level: inout Int, _ dims: inout [Int], _ counts: inout [Int], _ kinds: inout [UInt8]) -> Bool {
            level += 1
            if level >= levels { return false }
            if level == dims.count {
                dims.append(-1)
                counts.append(0)
                kinds.append(0)
            } else {
                counts[level] = 0
            }
            i += 1
            return true
        }

        guard open(&i, &level, &dims, &counts, &kinds) else { return nil }
        while true {
            // Expecting a value, or ']' right after '['.
            skipWhitespace()
            guard i < count else { return nil }
            var c = base[i]
            if c == A.rbracket && counts[level] == 0 {
                // An empty array: closes below.
            } else if c == A.lbracket {
                guard kinds[level] != 2 else { return nil }
                kinds[level] = 1
                counts[level] += 1
                guard open(&i, &level, &dims, &counts, &kinds) else { return nil }
                continue
            } else if c == A.minus || isDigit(c) {
                guard kinds[level] != 1 else { return nil }
                kinds[level] = 2
                // A run of numbers, `n (, n)*`, in one tight loop up to what follows the last.
                let first = n
                let base = base, count = count
                var p = i
                while true {
                    let start = p
                    var integer = false
                    var value = Self.fastNumber(base, count, &p, &integer)
                    var tie: Int8 = 0
                    if !value.isFinite || (value != 0 && JSONNumberArray.isFloat32Midpoint(value.magnitude)) {
                        // The general reader: syntax errors, long or huge numbers, Float ties.
                        i = start
                        guard let number = try? parseNumber(), number.value.isFinite else { return nil }
                        (value, integer, tie) = (number.value, number.isIntegerLiteral, number.float32Tie)
                        p = i
                    }
                    if n == packCapacity { growPackScratch() }
                    packScratch.unsafelyUnwrapped[n] = value
                    if integer {
                        let word = n >> 6
                        if integerBits.count <= word { integerBits.append(contentsOf: repeatElement(0, count: word + 1 - integerBits.count)) }
                        integerBits[word] |= 1 << UInt64(n & 63)
                    }
                    if tie != 0 { ties.append(.init(index: n, tie: tie)) }
                    n += 1
                    while p < count, case let c = base[p], c == A.space || c == A.lf || c == A.cr || c == A.tab { p &+= 1 }
                    guard p < count else { return nil }
                    guard base[p] == A.comma else { break }  // ']' (or an error) is handled below
                    p &+= 1
                    while p < count, case let c = base[p], c == A.space || c == A.lf || c == A.cr || c == A.tab { p &+= 1 }
                    // After ',' only another number can keep the nest packable.
                    guard p < count, base[p] == A.minus || isDigit(base[p]) else { return nil }
                }
                i = p
                counts[level] += n - first
            } else {
                return nil
            }
            // After a value (or at the ']' of an empty array): ',' or ']'.
            while true {
                skipWhitespace()
                guard i < count else { return nil }
                c = base[i]
                i += 1
                if c == A.comma {
                    break  // the next value
                }
                guard c == A.rbracket else { return nil }
                // Close the level: every array at a level has one length.
                if dims[level] < 0 {
                    dims[level] = counts[level]
                } else if dims[level] != counts[level] {
                    return nil
                }
                level -= 1
                if level < 0 {
                    // Done. Levels below an empty array's were never opened.
                    let shape = dims
                    var total = 1
                    for d in shape {
                        let (product, overflow) = total.multipliedReportingOverflow(by: d)
                        total = overflow ? -1 : product
                    }
                    guard total == n else {
                        level = 0  // rewind (cannot happen for a consistent nest)
                        return nil
                    }
                    let values = [Double](unsafeUninitializedCapacity: n) { buffer, initialized in
                        if n > 0 { buffer.baseAddress!.initialize(from: packScratch.unsafelyUnwrapped, count: n) }
                        initialized = n
                    }
                    return JSONNumberArray(shape: shape, values: values, integerLiteralBits: integerBits, float32Ties: ties)
                }
            }
            // After ',': a ']' here is a trailing comma, which the usual parse reports.
            skipWhitespace()
            if i < count && base[i] == A.rbracket { return nil }
        }
    }

    /// The common case of `parseNumber()`, at `p` (at '-' or a digit):
    /// `-?digits(.digits)?([eE][+-]?digits)?` with at most 19 digits in all and at most 4
    /// in the exponent, whose value Clinger's fast path or Eisel-Lemire decides — what
    /// tensors are made of, read eight digits at a time. Returns the correctly rounded
    /// value (the same as `parseNumber()`'s) and moves `p` past it; for anything else
    /// returns NaN with `p` unchanged, and the caller calls `parseNumber()`.
    @inline(__always)
    static func fastNumber(_ base: UnsafePointer<UInt8>, _ count: Int, _ position: inout Int, _ integer: inout Bool) -> Double {
        var p = position
        let negative = base[p] == A.minus
        if negative { p &+= 1 }
        let intStart = p
        var mantissa: UInt64 = 0
        if p < count && base[p] == A.zero {
            p &+= 1
            if p < count && isDigit(base[p]) { return .nan }  // a leading zero: parseNumber reports it
        } else {
            p = eightDigitRuns(base, count, from: p, into: &mantissa)
            while p < count, case let d = base[p] &- A.zero, d < 10 {
                mantissa = mantissa &* 10 &+ UInt64(d)
                p &+= 1
            }
        }
        var digits = p &- intStart
        guard digits > 0 else { return .nan }
        var isInteger = true
        var fractionDigits = 0
        if p < count && base[p] == A.dot {
            isInteger = false
            p &+= 1
            let fracStart = p
            p = eightDigitRuns(base, count, from: p, into: &mantissa)
            while p < count, case let d = base[p] &- A.zero, d < 10 {
                mantissa = mantissa &* 10 &+ UInt64(d)
                p &+= 1
            }
            fractionDigits = p &- fracStart
            guard fractionDigits > 0 else { return .nan }
            digits &+= fractionDigits
        }
        guard digits <= 19 else { return .nan }  // the mantissa may have wrapped
        var exponent = 0
        if p < count && (base[p] | 0x20) == A.e {
            isInteger = false
            p &+= 1
            var expNegative = false
            if p < count && (base[p] == A.plus || base[p] == A.minus) {
                expNegative = base[p] == A.minus
                p &+= 1
            }
            let expStart = p
            while p < count, case let d = base[p] &- A.zero, d < 10 {
                exponent = exponent &* 10 &+ Int(d)
                p &+= 1
            }
            guard p > expStart, p &- expStart <= 4 else { return .nan }
            if expNegative { exponent = -exponent }
        }
        let scale = exponent &- fractionDigits
        var value: Double
        if mantissa == 0 {
            value = 0
        } else if let fast = JSONNumberParsing.fastPath(mantissa: mantissa, scale: scale) {
            value = fast
        } else if let el = JSONNumberParsing.eiselLemire(mantissa, scale) {
            value = el
        } else {
            return .nan
        }
        if negative { value = -value }
        position = p
        integer = isInteger
        return value
    }

    /// Reads digits eight at a time (SWAR, as fast_float does) while eight digits follow;
    /// returns the position after them.
    @inline(__always)
    static func eightDigitRuns(_ base: UnsafePointer<UInt8>, _ count: Int, from start: Int, into mantissa: inout UInt64) -> Int {
        var p = start
        while p + 8 <= count {
            let word = UInt64(littleEndian: UnsafeRawPointer(base + p).loadUnaligned(as: UInt64.self))
            // All eight bytes in '0'...'9'?
            guard (word & 0xF0F0_F0F0_F0F0_F0F0) | (((word &+ 0x0606_0606_0606_0606) & 0xF0F0_F0F0_F0F0_F0F0) >> 4)
                == 0x3333_3333_3333_3333 else { break }
            var v = word &- 0x3030_3030_3030_3030
            v = (v &* 10) &+ (v >> 8)
            v = (((v & 0x0000_00FF_0000_00FF) &* 0x000F_4240_0000_0064)
                &+ (((v >> 16) & 0x0000_00FF_0000_00FF) &* 0x0000_2710_0000_0001)) >> 32
            mantissa = mantissa &* 100_000_000 &+ v
            p &+= 8
        }
        return p
    }

    @inline(never) mutating func growPackScratch() {
        let capacity = Swift.max(packCapacity * 2, 1024)
        let grown = UnsafeMutablePointer<Double>.allocate(capacity: capacity)
        if let old = packScratch {
            grown.moveInitialize(from: old, count: packCapacity)
            old.deallocate()
        }
        packScratch = grown
        packCapacity = capacity
    }
}

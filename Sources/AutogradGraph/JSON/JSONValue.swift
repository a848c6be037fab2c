/// A JSON number as read from the text: its correctly rounded `Double` value, and whether
/// the text was an integer literal (no fraction part, no exponent).
public struct JSONNumber: Sendable, Equatable, Hashable {
    /// The value, correctly rounded to the nearest `Double`. May be `±infinity` for
    /// literals beyond the `Double` range such as `1e400` (callers that need finite
    /// numbers must check), and `-0.0` for `-0`.
    public let value: Double
    /// True when the text had neither a fraction part nor an exponent (`12`, `-0`),
    /// false for `12.0`, `1e3`, `1.5`.
    public let isIntegerLiteral: Bool
    /// Which way the text lies from `value` when `value` is exactly halfway between two
    /// `Float`s and the text is not (+1: larger magnitude, -1: smaller); 0 otherwise.
    /// Rounding the `Double` to `Float` would then round a second time, on a tie the text
    /// does not have; `float32Value` uses this to round the text itself. Set by the parser.
    let float32Tie: Int8

    public init(value: Double, isIntegerLiteral: Bool) {
        self.init(value: value, isIntegerLiteral: isIntegerLiteral, float32Tie: 0)
    }

    init(value: Double, isIntegerLiteral: Bool, float32Tie: Int8) {
        self.value = value
        self.isIntegerLiteral = isIntegerLiteral
        self.float32Tie = float32Tie
    }

    /// The text's value correctly rounded to the nearest `Float` (ties to even) — directly,
    /// not the double rounding `Float(value)` would be for the rare text within 2^-54
    /// (relative) of a point halfway between two `Float`s.
    public var float32Value: Float { JSONNumberArray.float32(value, tie: float32Tie) }

    /// The exact integer the text spelled, when the text is an integer literal whose
    /// magnitude is below 2^53 (so that the `Double` holds it exactly); otherwise nil.
    ///
    /// `2.0` and `1e3` give nil (not integer literals), and so does `9007199254740993`
    /// (its text can no longer be recovered from the rounded `Double`). `-0` gives 0.
    public var exactInt: Int? {
        guard isIntegerLiteral, value.magnitude < 9_007_199_254_740_992 else { return nil }
        return Int(exactly: value)
    }
}

/// A parsed JSON document. Arrays and objects keep document order.
public enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case number(JSONNumber)
    case string(String)
    case array([JSONValue])
    case object(JSONObject)
    /// An array of finite numbers, or a rectangular nest of such arrays, stored flat. Only
    /// `JSONParser.parse(_:maxDepth:packing:)` makes these, for the arrays under the keys
    /// it is given; it is the same document as the `.array` it stands for (`==` and
    /// `arrayValue` see that array, `kindName` is "array").
    case numbers(JSONNumberArray)
}

extension JSONValue {
    /// Equality of documents: a packed `.numbers` equals the `.array` it stands for.
    public static func == (lhs: JSONValue, rhs: JSONValue) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null): return true
        case (.bool(let a), .bool(let b)): return a == b
        case (.number(let a), .number(let b)): return a == b
        case (.string(let a), .string(let b)): return a == b
        case (.array(let a), .array(let b)): return a == b
        case (.object(let a), .object(let b)): return a == b
        case (.numbers(let a), .numbers(let b)): return a == b
        case (.numbers(let a), .array(let b)): return a.elements == b
        case (.array(let a), .numbers(let b)): return a == b.elements
        default: return false
        }
    }

    /// The document with every `.numbers` spelled out as `.array`s of `.number`s.
    public var unpacked: JSONValue {
        switch self {
        case .numbers(let n): return .array(n.elements)
        case .array(let items): return .array(items.map(\.unpacked))
        case .object(let o): return .object(JSONObject(o.members.map { (key: $0.key, value: $0.value.unpacked) }))
        default: return self
        }
    }
}

/// A JSON object: members in document order. The parser rejects duplicate keys, so a
/// parsed object has unique keys.
///
/// Equality compares members in order (two objects with the same members in a
/// different order are not equal): it compares documents as written.
public struct JSONObject: Sendable, Equatable {
    public let members: [(key: String, value: JSONValue)]

    public init(_ members: [(key: String, value: JSONValue)]) {
        self.members = members
    }

    /// The value of the first member named `key`, or nil. Linear search: objects in the
    /// graph format are small; iterate `members` to visit many keys.
    public subscript(key: String) -> JSONValue? {
        for m in members where m.key == key { return m.value }
        return nil
    }

    /// The keys in document order.
    public var keys: [String] { members.map(\.key) }

    public var count: Int { members.count }

    public static func == (lhs: JSONObject, rhs: JSONObject) -> Bool {
        guard lhs.members.count == rhs.members.count else { return false }
        for (l, r) in zip(lhs.members, rhs.members) where l.key != r.key || l.value != r.value {
            return false
        }
        return true
    }
}

// MARK: - Conveniences

extension JSONValue {
    /// The object, when this is an object.
    public var objectValue: JSONObject? {
        if case .object(let o) = self { return o }
        return nil
    }

    /// The elements, when this is an array.
    public var arrayValue: [JSONValue]? {
        if case .array(let a) = self { return a }
        if case .numbers(let n) = self { return n.elements }
        return nil
    }

    /// The string, when this is a string.
    public var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    /// The number, when this is a number.
    public var numberValue: JSONNumber? {
        if case .number(let n) = self { return n }
        return nil
    }

    /// The Boolean, when this is `true` or `false`.
    public var boolValue: Bool? {
        if case .bool(let b) = self { return b }
        return nil
    }

    public var isNull: Bool {
        if case .null = self { return true }
        return false
    }

    /// A short name of the kind of value, for error messages: "null", "boolean",
    /// "number", "string", "array", "object".
    public var kindName: String {
        switch self {
        case .null: "null"
        case .bool: "boolean"
        case .number: "number"
        case .string: "string"
        case .array, .numbers: "array"
        case .object: "object"
        }
    }

    /// Member lookup on an object; nil for other kinds or a missing key.
    public subscript(key: String) -> JSONValue? {
        if case .object(let o) = self { return o[key] }
        return nil
    }
}

extension JSONValue: ExpressibleByNilLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral, ExpressibleByStringLiteral,
    ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral
{
    public init(nilLiteral: ()) { self = .null }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    /// An integer literal: `isIntegerLiteral` is true.
    public init(integerLiteral value: Int) {
        self = .number(JSONNumber(value: Double(value), isIntegerLiteral: true))
    }
    /// A float literal: `isIntegerLiteral` is false.
    public init(floatLiteral value: Double) {
        self = .number(JSONNumber(value: value, isIntegerLiteral: false))
    }
    public init(stringLiteral value: String) { self = .string(value) }
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    /// Members in the order written.
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self = .object(JSONObject(elements.map { (key: $0.0, value: $0.1) }))
    }
}

/// RFC 6901 escaping of one JSON Pointer reference token: `~` becomes `~0` and `/`
/// becomes `~1` (in that order, so `~1` in a key becomes `~01`).
///
/// A pointer is the concatenation of `"/" + jsonPointerToken(t)` over its tokens; array
/// indices are written in decimal. `""` is the whole document.
public func jsonPointerToken(_ s: String) -> String {
    var needs = false
    for b in s.utf8 where b == UInt8(ascii: "~") || b == UInt8(ascii: "/") {
        needs = true
        break
    }
    guard needs else { return s }
    var out = ""
    out.reserveCapacity(s.utf8.count + 4)
    for c in s.unicodeScalars {
        switch c {
        case "~": out += "~0"
        case "/": out += "~1"
        default: out.unicodeScalars.append(c)
        }
    }
    return out
}

/// A parse failure: where (byte offset and JSON Pointer) and what.
public struct JSONParseError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Byte offset in the input of the offending byte (the input length for a
    /// truncated document).
    public let offset: Int
    /// RFC 6901 pointer to the value being parsed when parsing failed: `""` for the
    /// root, `"/tensors/a/data/3"` inside. Separator errors (`expected ',' or ']'`, a
    /// trailing comma) point at the enclosing array or object; a duplicate key points at
    /// the duplicate member.
    public let pointer: String
    /// Human-readable, lower case, no trailing period: `unexpected character 'x'`,
    /// `unterminated string`, `duplicate key "a"`, `invalid UTF-8`, ...
    public let message: String

    public init(offset: Int, pointer: String, message: String) {
        self.offset = offset
        self.pointer = pointer
        self.message = message
    }

    public var description: String {
        "JSON parse error at byte \(offset) (pointer \"\(pointer)\"): \(message)"
    }
}

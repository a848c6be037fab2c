/// The type of an attribute value.
public enum AttributeType: Sendable, Equatable {
    case int
    /// An int or a list of ints (`axis`).
    case intOrInts
    case ints
    /// A list of `[before, after]` integer pairs (`pad_width` of `pad`).
    case intPairs
    /// An int or null (`start` and `stop` of `slice`, where null means "to the end").
    case optionalInt
    case number
    /// A number or null (`clamp`'s bounds, where null means "none").
    case optionalNumber
    case bool
    /// One of a fixed set of strings.
    case choice([String])
    /// An int, a list of ints, or one of a fixed set of strings (convolution's `padding`).
    case intsOrChoice([String])
    /// A number or one of a fixed set of strings (`norm`'s `ord`: 2, 1 or "inf").
    case numberOrChoice([String])

    /// The strings the type accepts, if it accepts any (`GET /ops` lists them as an enum).
    public var words: [String]? {
        switch self {
        case .choice(let options), .intsOrChoice(let options), .numberOrChoice(let options): options
        default: nil
        }
    }

    /// The type's name as error messages and `GET /ops` say it.
    public var description: String {
        switch self {
        case .int: "integer"
        case .intOrInts: "integer or array of integers"
        case .ints: "array of integers"
        case .intPairs: "array of [before, after] integer pairs"
        case .optionalInt: "integer or null"
        case .number: "number"
        case .optionalNumber: "number or null"
        case .bool: "boolean"
        case .choice(let options): "one of " + options.map { "\"\($0)\"" }.joined(separator: ", ")
        case .intsOrChoice(let options):
            "integer, array of integers or one of " + options.map { "\"\($0)\"" }.joined(separator: ", ")
        case .numberOrChoice(let options): "number or " + options.map { "\"\($0)\"" }.joined(separator: ", ")
        }
    }
}

/// A decoded attribute value.
public enum AttributeValue: Sendable, Equatable {
    case null
    case int(Int)
    case ints([Int])
    /// A list of integer lists (`[[1, 2], [0, 0]]`).
    case intLists([[Int]])
    case number(Double)
    case bool(Bool)
    case string(String)
}

/// An attribute an op accepts, with its type and its default (`nil`: absent by default).
public struct AttributeSpec: Sendable {
    public let name: String
    public let type: AttributeType
    public let defaultValue: AttributeValue?
    public let summary: String

    public init(_ name: String, _ type: AttributeType, default defaultValue: AttributeValue?, _ summary: String) {
        self.name = name
        self.type = type
        self.defaultValue = defaultValue
        self.summary = summary
    }

    /// Whether `value` has this attribute's type (ints are accepted where numbers are).
    public func accepts(_ value: AttributeValue) -> Bool {
        switch (type, value) {
        case (.int, .int), (.intOrInts, .int), (.intOrInts, .ints), (.ints, .ints),
            (.optionalInt, .int), (.optionalInt, .null),
            (.number, .number), (.number, .int), (.bool, .bool),
            (.optionalNumber, .number), (.optionalNumber, .int), (.optionalNumber, .null):
            return true
        case (.intPairs, .intLists(let lists)):
            return lists.allSatisfy { $0.count == 2 }
        case (.intPairs, .ints(let v)):
            return v.isEmpty  // `[]`: no axes, a rank-0 tensor's pad_width
        case (.choice(let options), .string(let s)), (.intsOrChoice(let options), .string(let s)),
            (.numberOrChoice(let options), .string(let s)):
            return options.contains(s)
        case (.numberOrChoice, .number), (.numberOrChoice, .int):
            return true
        case (.intsOrChoice, .int), (.intsOrChoice, .ints):
            return true
        default:
            return false
        }
    }
}

/// The attributes an op is built from, after type checking and defaults.
public struct Attributes: Sendable {
    public var values: [String: AttributeValue]

    public init(_ values: [String: AttributeValue] = [:]) { self.values = values }

    /// The given values completed with `signature`'s defaults.
    public static func withDefaults(_ values: [String: AttributeValue], for signature: OpSignature) -> Attributes {
        var all = values
        for spec in signature.attributes where all[spec.name] == nil {
            if let d = spec.defaultValue { all[spec.name] = d }
        }
        return Attributes(all)
    }

    public subscript(name: String) -> AttributeValue? { values[name] }

    public func int(_ name: String) throws(OpError) -> Int {
        guard case .int(let v)? = values[name] else { throw Self.wrongType(name, "an integer") }
        return v
    }

    /// An int-or-list attribute as a list; `nil` when absent or null.
    public func axes(_ name: String) throws(OpError) -> [Int]? {
        switch values[name] {
        case nil, .null?: return nil
        case .int(let v)?: return [v]
        case .ints(let v)?: return v
        default: throw Self.wrongType(name, "an integer or an array of integers")
        }
    }

    /// An int-or-null attribute; `nil` when absent or null.
    public func optionalInt(_ name: String) throws(OpError) -> Int? {
        switch values[name] {
        case nil, .null?: return nil
        case .int(let v)?: return v
        default: throw Self.wrongType(name, "an integer or null")
        }
    }

    public func ints(_ name: String) throws(OpError) -> [Int]? {
        switch values[name] {
        case nil, .null?: return nil
        case .ints(let v)?: return v
        default: throw Self.wrongType(name, "an array of integers")
        }
    }

    /// A list-of-pairs attribute; `nil` when absent or null.
    public func intPairs(_ name: String) throws(OpError) -> [(Int, Int)]? {
        switch values[name] {
        case nil, .null?: return nil
        case .ints(let v)? where v.isEmpty: return []
        case .intLists(let v)? where v.allSatisfy({ $0.count == 2 }): return v.map { ($0[0], $0[1]) }
        default: throw Self.wrongType(name, "an array of [before, after] integer pairs")
        }
    }

    public func number(_ name: String) throws(OpError) -> Double {
        switch values[name] {
        case .number(let v)?: return v
        case .int(let v)?: return Double(v)
        default: throw Self.wrongType(name, "a number")
        }
    }

    /// A number-or-null attribute; `nil` when absent or null.
    public func optionalNumber(_ name: String) throws(OpError) -> Double? {
        switch values[name] {
        case nil, .null?: return nil
        case .number(let v)?: return v
        case .int(let v)?: return Double(v)
        default: throw Self.wrongType(name, "a number or null")
        }
    }

    public func bool(_ name: String) throws(OpError) -> Bool {
        guard case .bool(let v)? = values[name] else { throw Self.wrongType(name, "a boolean") }
        return v
    }

    public func string(_ name: String) throws(OpError) -> String {
        guard case .string(let v)? = values[name] else { throw Self.wrongType(name, "a string") }
        return v
    }

    private static func wrongType(_ name: String, _ what: String) -> OpError {
        .attribute(name: name, detail: "must be \(what)")
    }
}

/// Named arrays: a module's or optimizer's state, as PyTorch's `state_dict()`, read and
/// written as safetensors files (`StateDict+SafeTensors.swift`).
///
/// Names keep the order they were added in (a module's `stateDict()` lists its
/// parameters, then its buffers, in declaration order; a file read lists its tensors in
/// file order). Values are `NDArray`s, copy-on-write values: a module that loads a state
/// dict shares nothing the caller can change.
public struct StateDict<Scalar: Autograd.Scalar>: Sendable, Equatable {
    /// The names, in order.
    public private(set) var names: [String] = []
    private var values: [String: NDArray<Scalar>] = [:]
    /// The safetensors file's `__metadata__` (string to string); written back when saved.
    public var metadata: [String: String] = [:]

    /// An empty state dict.
    public init() {}

    /// The given entries, in order; a repeated name keeps its first place and last value.
    public init(_ entries: [(String, NDArray<Scalar>)]) {
        for (name, value) in entries { self[name] = value }
    }

    /// The array named `name`; setting `nil` removes it, setting a new name appends it.
    public subscript(name: String) -> NDArray<Scalar>? {
        get { values[name] }
        set {
            if let newValue {
                if values.updateValue(newValue, forKey: name) == nil { names.append(name) }
            } else if values.removeValue(forKey: name) != nil {
                names.removeAll { $0 == name }
            }
        }
    }

    /// The number of entries.
    public var count: Int { names.count }

    /// Whether both hold the same names with equal arrays and the same metadata, in any
    /// order (a file read back lists its names in file order).
    public static func == (a: StateDict, b: StateDict) -> Bool {
        a.values == b.values && a.metadata == b.metadata
    }

    /// The entries in order.
    public var entries: [(name: String, value: NDArray<Scalar>)] {
        names.map { ($0, values[$0]!) }
    }
}

/// Why a state dict cannot be read, written or loaded.
public enum StateError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Strict loading found names the target has and the state dict lacks (`missing`), or
    /// the reverse (`unexpected`), as PyTorch's `load_state_dict(strict=True)`.
    case keys(missing: [String], unexpected: [String])
    /// The array for `key` has another shape than the tensor it would replace.
    case shapeMismatch(key: String, expected: [Int], got: [Int])
    /// The bytes are not a safetensors file this library reads; the message says where.
    case invalidFile(String)
    /// The file could not be opened, read or written.
    case io(path: String, reason: String)

    /// The message, in PyTorch's words where PyTorch has them.
    public var description: String {
        switch self {
        case .keys(let missing, let unexpected):
            var parts: [String] = []
            func quoted(_ keys: [String]) -> String { keys.map { "\"\($0)\"" }.joined(separator: ", ") }
            if !missing.isEmpty { parts.append("Missing key(s) in state_dict: \(quoted(missing)).") }
            if !unexpected.isEmpty { parts.append("Unexpected key(s) in state_dict: \(quoted(unexpected)).") }
            return "Error(s) in loading state_dict: " + parts.joined(separator: " ")
        case .shapeMismatch(let key, let expected, let got):
            return "size mismatch for \(key): copying a param with shape \(got) from checkpoint, the shape in current model is \(expected)."
        case .invalidFile(let detail):
            return "not a safetensors file: \(detail)"
        case .io(let path, let reason):
            return "\(path): \(reason)"
        }
    }
}

extension StateDict {
    /// Checks `self` against the target's `expected` names and shapes, as
    /// `load_state_dict` does before copying anything: a shape mismatch is always an
    /// error, missing and unexpected names only when `strict`. Returns the entries to copy,
    /// in the target's order.
    func matched(
        against expected: [(name: String, shape: [Int])], strict: Bool
    ) throws(StateError) -> [(index: Int, value: NDArray<Scalar>)] {
        var known = Set<String>()
        var found: [(index: Int, value: NDArray<Scalar>)] = []
        var missing: [String] = []
        for (i, (name, shape)) in expected.enumerated() {
            known.insert(name)
            guard let value = self[name] else {
                missing.append(name)
                continue
            }
            guard value.shape == shape else { throw .shapeMismatch(key: name, expected: shape, got: value.shape) }
            found.append((i, value))
        }
        let unexpected = names.filter { !known.contains($0) }
        if strict && !(missing.isEmpty && unexpected.isEmpty) {
            throw .keys(missing: missing, unexpected: unexpected)
        }
        return found
    }
}

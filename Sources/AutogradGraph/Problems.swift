import Autograd

/// Collects every problem found in a request before anything runs, so that one answer
/// lists them all, each with the JSON Pointer of its cause.
package struct ProblemList {
    private(set) var items: [Problem.Item] = []
    /// Problems found beyond `maxItems`, counted but not listed.
    private(set) var unlisted = 0
    static let maxItems = 100
    /// Whether any problem is malformed JSON or a wrong JSON type (400) rather than a
    /// well-formed but invalid graph (422).
    private(set) var malformed = false

    var isEmpty: Bool { items.isEmpty }

    /// A value of the wrong JSON type, or a required field missing: 400.
    package mutating func wrongType(_ pointer: String, _ detail: String) {
        malformed = true
        append(.init(pointer: pointer, detail: detail))
    }

    /// A well-formed value the graph cannot accept: 422.
    package mutating func invalid(_ pointer: String, _ detail: String) {
        append(.init(pointer: pointer, detail: detail))
    }

    /// An op's error, at the pointer its kind names: the attribute, the op, or the input.
    mutating func add(_ error: OpError, opPointer: String) {
        switch error {
        case .attribute(let name, let detail): invalid(Pointer.join(opPointer + "/attrs", name), detail)
        case .shape(let detail): invalid(opPointer, detail)
        case .input(let index, let detail): invalid(opPointer + "/inputs/\(index)", detail)
        }
    }

    private mutating func append(_ item: Problem.Item) {
        if items.count < Self.maxItems { items.append(item) } else { unlisted += 1 }
    }

    /// How many problems were found in all.
    package var count: Int { items.count + unlisted }

    /// Throws the collected problems, if any.
    package func check() throws(Problem) {
        guard !items.isEmpty else { return }
        throw problem
    }

    package var problem: Problem {
        let what = (count == 1 ? "1 problem" : "\(count) problems")
            + (unlisted > 0 ? " (the first \(items.count) listed)" : "")
        return malformed
            ? Problem(
                status: 400, title: "Bad Request",
                detail: "The request body is not a valid graph document: \(what); see errors.", errors: items)
            : Problem(
                status: 422, title: "Unprocessable Content",
                detail: "The graph cannot be computed: \(what); see errors.", errors: items)
    }
}

/// RFC 6901 pointers, built by appending escaped reference tokens.
package struct Pointer {
    package static func join(_ base: String, _ token: String) -> String { base + "/" + jsonPointerToken(token) }
    package static func join(_ base: String, _ index: Int) -> String { base + "/" + String(index) }
}

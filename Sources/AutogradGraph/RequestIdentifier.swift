/// A request's optional `id`: echoed in the answer's body (first member) and, by the
/// server, as `X-Request-Id`, so a caller can match answers to requests and find them in
/// the server's log.
public enum GraphRequestID {
    /// Up to 128 characters of `A-Z a-z 0-9 - . _ ~ : / + = @`: safe in a header, a log
    /// line and a JSON string alike.
    public static let maxLength = 128

    public static func isValid(_ id: String) -> Bool {
        let utf8 = id.utf8
        guard !utf8.isEmpty, utf8.count <= maxLength else { return false }
        return utf8.allSatisfy { b in
            (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A)
                || "-._~:/+=@".utf8.contains(b)
        }
    }

    static let rule = "a string of 1 to \(maxLength) characters from A-Z a-z 0-9 - . _ ~ : / + = @"
}

/// The size of a graph that got as far as a plan, for the server's metrics.
public struct GraphSize: Sendable, Equatable {
    /// Ops in the request.
    public var ops: Int
    /// Elements of the request's tensors and of every value computed from them (what
    /// `GraphLimits.maxElements` bounds).
    public var elements: Int

    public init(ops: Int, elements: Int) {
        self.ops = ops
        self.elements = elements
    }
}

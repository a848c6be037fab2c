/// Limits a request must stay within; checked before anything is computed.
public struct GraphLimits: Sendable {
    /// Elements across all tensors and intermediate values of one request.
    public var maxElements = 1 << 26
    public var maxOps = 100_000
    public var maxRank = 8
    /// JSON nesting depth accepted by the parser.
    public var maxDepth = 64

    public init() {}
}

/// Answers graph requests: decode, validate, run, encode. Stateless and thread-safe; the
/// server calls `respond` from a computation queue, never from its polling thread.
public struct GraphService: Sendable {
    public let limits: GraphLimits

    public init(limits: GraphLimits = GraphLimits()) { self.limits = limits }

    /// The complete answer to one request body sent to `endpoint`. Never traps: every
    /// failure becomes a problem response.
    public func respond(to endpoint: Endpoint, body: [UInt8]) -> Response {
        Problem(status: 501, title: "Not Implemented", detail: "graph execution is being written").response
    }
}

import AutogradGraph

/// The problems the HTTP layer itself produces. All go through `Problem.response`, the
/// one error format of the service.
enum HTTPProblems {
    static func notFound(path: String) -> Response {
        Problem(status: 404, title: "Not Found", detail: "no resource at \(path)").response
    }

    static func methodNotAllowed(method: String, path: String, allow: [String]) -> Response {
        Problem(
            status: 405, title: "Method Not Allowed",
            detail: "\(path) does not accept \(method); allowed: \(allow.joined(separator: ", "))",
            headers: [(name: "Allow", value: allow.joined(separator: ", "))]
        ).response
    }

    static func contentTooLarge(limit: Int) -> Response {
        Problem(
            status: 413, title: "Content Too Large",
            detail: "request body exceeds the limit of \(limit) bytes"
        ).response
    }

    static func unsupportedMediaType(got: String?) -> Response {
        let detail = got.map { "Content-Type must be application/json, got '\($0)'" }
            ?? "Content-Type must be application/json, but the request has none"
        return Problem(
            status: 415, title: "Unsupported Media Type", detail: detail,
            headers: [(name: "Accept-Post", value: "application/json")]
        ).response
    }

    /// A method this server does not implement at all (RFC 9110 §9.1: 501); a known
    /// method a path does not accept is 405 instead.
    static func notImplemented(method: String) -> Response {
        Problem(status: 501, title: "Not Implemented", detail: "method \(method) is not implemented").response
    }

    /// HTTP/1.1 without `Host`, or more than one `Host` (RFC 9112 §3.2).
    static func badHost(count: Int) -> Response {
        Problem(
            status: 400, title: "Bad Request",
            detail: count == 0 ? "an HTTP/1.1 request needs a Host header" : "\(count) Host headers; a request has exactly one",
            kind: .badHTTPRequest
        ).response
    }

    /// A problem after which the connection is closed (the request cannot be framed or
    /// trusted, so nothing after it on the connection can be either).
    private static func closing(_ status: Int, _ title: String, _ detail: String, kind: ProblemType? = nil) -> Response {
        Problem(status: status, title: title, detail: detail, kind: kind, headers: [(name: "Connection", value: "close")]).response
    }

    /// The request line is not `METHOD SP target SP HTTP/x.y` (`HeaderGate`).
    static func badRequestLine() -> Response { closing(400, "Bad Request", "malformed request line", kind: .badHTTPRequest) }

    /// An HTTP version other than 1.x (`HeaderGate`).
    static func versionNotSupported(_ version: String) -> Response {
        closing(505, "HTTP Version Not Supported",
                "\(RequestLog.sanitize(version)) is not supported; this server speaks HTTP/1.1 and HTTP/1.0")
    }

    /// A request line longer than the header limit (`HeaderGate`).
    static func uriTooLong(limit: Int) -> Response {
        closing(414, "URI Too Long", "the request line exceeds \(limit) bytes")
    }

    /// A header block longer than the limit (`HeaderGate`).
    static func headersTooLarge(limit: Int) -> Response {
        closing(431, "Request Header Fields Too Large", "the request's header block exceeds \(limit) bytes")
    }

    static func badContentLength(_ value: String) -> Response {
        Problem(status: 400, title: "Bad Request", detail: "invalid Content-Length '\(value)'", kind: .badHTTPRequest).response
    }

    /// Every slot and queue place taken: try again shortly.
    static func busy(maxInflight: Int, maxQueue: Int, maxQueueBytes: Int = .max) -> Response {
        let bytes = maxQueueBytes == .max ? "" : " or \(maxQueueBytes) bytes of requests"
        return Problem(
            status: 503, title: "Service Unavailable",
            detail: "the server is at capacity (\(maxInflight) computations running, \(maxQueue) waiting\(bytes)); retry later",
            headers: [(name: "Retry-After", value: "1")]
        ).response
    }

    /// Ambiguous body framing (RFC 9112 §6.3): two Content-Length fields, or Content-Length
    /// with Transfer-Encoding. Proxies and this server could disagree where the body ends,
    /// so the request is refused and the connection closed.
    static func ambiguousFraming(_ why: String) -> Response {
        closing(400, "Bad Request", "ambiguous message framing: \(why)", kind: .badHTTPRequest)
    }

    /// A transfer coding other than `chunked` (RFC 9112 §6.1: 501).
    static func unsupportedTransferEncoding(_ value: String) -> Response {
        closing(501, "Not Implemented", "Transfer-Encoding '\(value)' is not supported; only 'chunked' is")
    }

    /// Missing or wrong bearer token. The detail never echoes what was sent.
    static func unauthorized(_ why: String) -> Response {
        Problem(
            status: 401, title: "Unauthorized", detail: why,
            headers: [(name: "WWW-Authenticate", value: #"Bearer realm="autograd""#)]
        ).response
    }

    /// The request did not arrive in full within `--request-read-timeout`.
    static func requestTimeout(seconds: Double) -> Response {
        closing(408, "Request Timeout", "the request did not arrive in full within \(seconds) s")
    }

    static func shuttingDown() -> Response {
        Problem(
            status: 503, title: "Service Unavailable", detail: "the server is shutting down", kind: .shuttingDown,
            headers: [(name: "Retry-After", value: "1"), (name: "Connection", value: "close")]
        ).response
    }
}

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
            detail: count == 0 ? "an HTTP/1.1 request needs a Host header" : "\(count) Host headers; a request has exactly one"
        ).response
    }

    /// The request line is not `METHOD SP target SP HTTP/x.y` (`HeaderGate`).
    static func badRequestLine() -> Response {
        Problem(
            status: 400, title: "Bad Request", detail: "malformed request line",
            headers: [(name: "Connection", value: "close")]
        ).response
    }

    /// An HTTP version other than 1.x (`HeaderGate`).
    static func versionNotSupported(_ version: String) -> Response {
        Problem(
            status: 505, title: "HTTP Version Not Supported",
            detail: "\(RequestLog.sanitize(version)) is not supported; this server speaks HTTP/1.1 and HTTP/1.0",
            headers: [(name: "Connection", value: "close")]
        ).response
    }

    /// A request line longer than the header limit (`HeaderGate`).
    static func uriTooLong(limit: Int) -> Response {
        Problem(
            status: 414, title: "URI Too Long", detail: "the request line exceeds \(limit) bytes",
            headers: [(name: "Connection", value: "close")]
        ).response
    }

    /// A header block longer than the limit (`HeaderGate`).
    static func headersTooLarge(limit: Int) -> Response {
        Problem(
            status: 431, title: "Request Header Fields Too Large", detail: "the request's header block exceeds \(limit) bytes",
            headers: [(name: "Connection", value: "close")]
        ).response
    }

    static func badContentLength(_ value: String) -> Response {
        Problem(status: 400, title: "Bad Request", detail: "invalid Content-Length '\(value)'").response
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
        Problem(
            status: 400, title: "Bad Request", detail: "ambiguous message framing: \(why)",
            headers: [(name: "Connection", value: "close")]
        ).response
    }

    /// A transfer coding other than `chunked` (RFC 9112 §6.1: 501).
    static func unsupportedTransferEncoding(_ value: String) -> Response {
        Problem(
            status: 501, title: "Not Implemented",
            detail: "Transfer-Encoding '\(value)' is not supported; only 'chunked' is",
            headers: [(name: "Connection", value: "close")]
        ).response
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
        Problem(
            status: 408, title: "Request Timeout",
            detail: "the request did not arrive in full within \(seconds) s",
            headers: [(name: "Connection", value: "close")]
        ).response
    }

    static func shuttingDown() -> Response {
        Problem(
            status: 503, title: "Service Unavailable", detail: "the server is shutting down",
            headers: [(name: "Retry-After", value: "1"), (name: "Connection", value: "close")]
        ).response
    }
}

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

    static func badContentLength(_ value: String) -> Response {
        Problem(status: 400, title: "Bad Request", detail: "invalid Content-Length '\(value)'").response
    }

    static func shuttingDown() -> Response {
        Problem(
            status: 503, title: "Service Unavailable", detail: "the server is shutting down",
            headers: [(name: "Retry-After", value: "1"), (name: "Connection", value: "close")]
        ).response
    }
}

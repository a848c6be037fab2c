/// The kinds of problem this service answers, each with a stable `type` URI (RFC 9457
/// §3.1.1) so that a client can switch on the kind rather than parse `title` or `detail`.
///
/// The URIs are identifiers, `https://swiftautograd.dev/problems/` and the raw value: a
/// client compares them as strings and never fetches them. `api/openapi.yaml` (the
/// `Problem` schema) and docs/wire-format.md list the same kinds; a new kind is a new
/// case, an existing URI never changes.
public enum ProblemType: String, Sendable, CaseIterable {
    /// 400: the body is not JSON, a value has the wrong JSON type, or a required member is missing.
    case malformedRequest = "malformed-request"
    /// 400: the HTTP message itself: framing, `Host`, the request line, `Content-Length`, a query parameter, a gzip body that does not inflate.
    case badHTTPRequest = "bad-http-request"
    /// 401: the server has an API key and the request does not carry it.
    case unauthorized = "unauthorized"
    /// 404: no resource at the path.
    case notFound = "not-found"
    /// 405: the path does not take the method (`Allow` lists those it does).
    case methodNotAllowed = "method-not-allowed"
    /// 408: the request, once begun, did not arrive in time.
    case requestTimeout = "request-timeout"
    /// 413: the body is over the server's limit.
    case contentTooLarge = "content-too-large"
    /// 414: the request line is too long.
    case uriTooLong = "uri-too-long"
    /// 415: the Content-Type (or another representation header) is not one the server takes.
    case unsupportedMediaType = "unsupported-media-type"
    /// 422: well-formed JSON of the right types that cannot be computed (`errors` says where).
    case invalidGraph = "invalid-graph"
    /// 431: the header block is too large.
    case headersTooLarge = "header-fields-too-large"
    /// 501: a method or transfer coding the server does not implement.
    case notImplemented = "not-implemented"
    /// 501: SVG was asked for and Graphviz's `dot` is not installed.
    case graphvizMissing = "graphviz-missing"
    /// 503: every computation slot and queue place is taken; retry after `Retry-After`.
    case overloaded = "overloaded"
    /// 503: the server is shutting down; retry (elsewhere) after `Retry-After`.
    case shuttingDown = "shutting-down"
    /// 503 from `/readyz`: starting or draining.
    case notReady = "not-ready"
    /// 503: the computation ran past `--request-timeout` and was stopped; the same request would again.
    case computationTimeout = "computation-timeout"
    /// 503: Graphviz's `dot` failed or timed out drawing the graph.
    case renderFailed = "render-failed"
    /// 505: an HTTP version other than 1.x.
    case httpVersionNotSupported = "http-version-not-supported"

    /// What every type URI starts with.
    public static let base = "https://swiftautograd.dev/problems/"

    /// The `type` member of a problem of this kind.
    public var uri: String { Self.base + rawValue }

    /// The kind a problem of `status` is unless its maker says otherwise: the body's kinds
    /// for 400 and 422, and the busy server's for 503. Nil for a status no problem of this
    /// service has (its type is then `about:blank`).
    public static func `default`(forStatus status: Int) -> ProblemType? {
        switch status {
        case 400: .malformedRequest
        case 401: .unauthorized
        case 404: .notFound
        case 405: .methodNotAllowed
        case 408: .requestTimeout
        case 413: .contentTooLarge
        case 414: .uriTooLong
        case 415: .unsupportedMediaType
        case 422: .invalidGraph
        case 431: .headersTooLarge
        case 501: .notImplemented
        case 503: .overloaded
        case 505: .httpVersionNotSupported
        default: nil
        }
    }
}

import AutogradGraph

/// Cross-origin requests from browsers (`--cors-origin`), off unless configured.
///
/// A browser on another origin sends a preflight (`OPTIONS` with `Origin` and
/// `Access-Control-Request-Method`) before a `POST` with a JSON body or an
/// `Authorization` header; it is answered 204 with the methods of the path, the request
/// headers the service reads, and how long to cache that, without the API key (a browser
/// never sends credentials on a preflight). Every answer to an allowed origin then carries
/// `Access-Control-Allow-Origin` and `Vary: Origin`, so that caches keep origins apart.
///
/// Security: an allowed origin's pages can call the service with whatever token the page
/// holds; list only origins you trust, and prefer exact origins to `*` when an API key
/// is set (with `*`, any page a user visits could try tokens it got elsewhere).
public struct CORSPolicy: Sendable, Equatable {
    /// Exact origins (`https://notebook.example:8443`), or `*` for any.
    let origins: [String]

    static let allowedHeaders = "Content-Type, Authorization, X-Request-Id"
    static let exposedHeaders = "X-Request-Id, X-Served-By, Retry-After, WWW-Authenticate, Allow"
    static let maxAgeSeconds = 600

    var isEnabled: Bool { !origins.isEmpty }

    /// `Access-Control-Allow-Origin`'s value for a request from `origin`, or nil if it is
    /// not allowed (or CORS is off, or the request has no `Origin`).
    func allowOrigin(for origin: String?) -> String? {
        guard let origin, isEnabled else { return nil }
        if origins.contains("*") { return "*" }
        return origins.contains(origin) ? origin : nil
    }

    /// The headers every answer to `origin` carries (none for a disallowed origin).
    func responseHeaders(origin: String?) -> [(name: String, value: String)] {
        guard let allowed = allowOrigin(for: origin) else { return [] }
        return [
            (name: "Access-Control-Allow-Origin", value: allowed), (name: "Vary", value: "Origin"),
            (name: "Access-Control-Expose-Headers", value: Self.exposedHeaders),
        ]
    }

    /// The answer to a preflight for a path whose methods are `allow`: 204 (the
    /// `Access-Control-Allow-Origin` and `Vary` headers are added with every answer's).
    static func preflight(allow: [String]) -> Response {
        Response(
            status: 204, contentType: "text/plain", body: [],
            headers: [
                (name: "Access-Control-Allow-Methods", value: allow.joined(separator: ", ")),
                (name: "Access-Control-Allow-Headers", value: allowedHeaders),
                (name: "Access-Control-Max-Age", value: String(maxAgeSeconds)),
            ])
    }

    /// `--cors-origin` values: each may list several origins separated by commas (one
    /// environment variable can then hold them all).
    public static func parse(_ values: [String]) -> [String] {
        values.flatMap { $0.split(separator: ",") }.map { String($0[...].trimmingWhitespace()) }.filter { !$0.isEmpty }
    }

    /// A configuration problem with `origin`, or nil: `*` or `scheme://host[:port]`.
    static func problem(with origin: String) -> String? {
        if origin == "*" { return nil }
        let lower = origin.lowercased()
        guard lower.hasPrefix("http://") || lower.hasPrefix("https://"),
              !origin.hasSuffix("/"), !origin.contains(where: { $0.isWhitespace }),
              origin.split(separator: "/", omittingEmptySubsequences: false).count == 3
        else { return "CORS origin must be '*' or scheme://host[:port] without a path, got '\(origin)'" }
        return nil
    }
}

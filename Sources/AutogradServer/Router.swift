import AutogradGraph

/// What a request line asks for, decided from method and path alone.
enum Route: Equatable {
    case health
    /// `GET /ops`: the op catalog (`GraphService.operations()`).
    case operations
    case graph(Endpoint)
    /// Readiness, metrics, the spec, the version (`InfoRoute`).
    case info(InfoRoute)
    /// `GET /` and the files of the page (`WebPage`), by path.
    case page(String)
}

/// Maps method + path to a route or to the problem that answers it (404, 405).
/// Every `Endpoint` is a `POST /<rawValue>` route, so new endpoints appear without edits here.
enum Router {
    static let healthPath = "/healthz"
    static let operationsPath = "/ops"
    /// Paths served without the API key: probes, and the page (whose requests need it).
    static let publicPaths: Set<String> = Set([healthPath, "/readyz", "/v2/health/live", "/v2/health/ready"])
        .union(WebPage.paths)
    static let readMethods = ["GET", "HEAD"]
    static let graphMethods = ["POST"]

    /// Path → route of every read (GET/HEAD) route, built once.
    static let readRoutes: [String: Route] = [healthPath: .health, operationsPath: .operations]
        .merging(InfoRoute.routes) { own, _ in own }
        .merging(WebPage.paths.map { ($0, Route.page($0)) }) { own, _ in own }

    /// Every method of RFC 9110 §9, PATCH (RFC 5789) and QUERY (the IETF's safe method
    /// with a body, which clients and schemathesis send); any other is 501 wherever it is
    /// sent, these are 405 with `Allow` on a path that does not take them.
    static let knownMethods: Set<String> = ["GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH", "QUERY"]

    static func resolve(method: String, path: String) -> Result<Route, RouteProblem> {
        guard knownMethods.contains(method) else {
            return .failure(RouteProblem(HTTPProblems.notImplemented(method: method)))
        }
        if let route = readRoutes[path] {
            guard readMethods.contains(method) else {
                return .failure(RouteProblem(HTTPProblems.methodNotAllowed(method: method, path: path, allow: readMethods)))
            }
            return .success(route)
        }
        if let endpoint = endpoint(path: path) {
            guard graphMethods.contains(method) else {
                return .failure(RouteProblem(HTTPProblems.methodNotAllowed(method: method, path: path, allow: graphMethods)))
            }
            return .success(.graph(endpoint))
        }
        return .failure(RouteProblem(HTTPProblems.notFound(path: path)))
    }

    /// The methods `path` accepts, or nil for no route there.
    static func methods(path: String) -> [String]? {
        if readRoutes[path] != nil { return readMethods }
        return endpoint(path: path) != nil ? graphMethods : nil
    }

    /// The path of a request target: an absolute-form target (`http://host:port/path`,
    /// which RFC 9112 §3.2.2 says a server must accept) becomes its path; an origin-form
    /// one (`/path`) is itself.
    static func path(ofTarget target: String) -> String {
        guard !target.hasPrefix("/"), let scheme = target.range(of: "://") else { return target }
        let name = target[..<scheme.lowerBound].lowercased()
        guard name == "http" || name == "https" else { return target }
        let afterAuthority = target[scheme.upperBound...].drop { $0 != "/" && $0 != "?" }
        return afterAuthority.first == "/" ? String(afterAuthority) : "/" + afterAuthority
    }

    /// The graph endpoint a path names (`/backward` → `.backward`), whatever the method.
    static func endpoint(path: String) -> Endpoint? {
        path.hasPrefix("/") ? Endpoint(rawValue: String(path.dropFirst())) : nil
    }

    static let healthResponse = Response(
        status: 200, contentType: "application/json", body: Array(#"{"status":"ok"}"#.utf8))
}

/// A routing failure, already rendered as the response that answers it.
struct RouteProblem: Error {
    let response: Response
    init(_ response: Response) { self.response = response }
}

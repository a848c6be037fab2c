import AutogradGraph

/// What a request line asks for, decided from method and path alone.
enum Route: Equatable {
    case health
    case graph(Endpoint)
}

/// Maps method + path to a route or to the problem that answers it (404, 405).
/// Every `Endpoint` is a `POST /<rawValue>` route, so new endpoints appear without edits here.
enum Router {
    static let healthPath = "/healthz"
    static let healthMethods = ["GET", "HEAD"]
    static let graphMethods = ["POST"]

    static func resolve(method: String, path: String) -> Result<Route, RouteProblem> {
        if path == healthPath {
            guard healthMethods.contains(method) else {
                return .failure(RouteProblem(HTTPProblems.methodNotAllowed(method: method, path: path, allow: healthMethods)))
            }
            return .success(.health)
        }
        if path.hasPrefix("/"), let endpoint = Endpoint(rawValue: String(path.dropFirst())) {
            guard graphMethods.contains(method) else {
                return .failure(RouteProblem(HTTPProblems.methodNotAllowed(method: method, path: path, allow: graphMethods)))
            }
            return .success(.graph(endpoint))
        }
        return .failure(RouteProblem(HTTPProblems.notFound(path: path)))
    }

    static let healthResponse = Response(
        status: 200, contentType: "application/json", body: Array(#"{"status":"ok"}"#.utf8))
}

/// A routing failure, already rendered as the response that answers it.
struct RouteProblem: Error {
    let response: Response
    init(_ response: Response) { self.response = response }
}

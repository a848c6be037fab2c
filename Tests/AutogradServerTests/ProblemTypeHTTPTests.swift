import AutogradGraph
import Testing

@testable import AutogradServer

/// Each problem the HTTP layer makes carries its kind's `type` URI (issue 14).
@Suite struct ProblemTypeHTTPTests {
    static func type(_ response: Response) throws -> String? {
        try JSONParser.parse(response.body)["type"]?.stringValue
    }

    @Test func eachHTTPProblemHasItsKind() throws {
        let cases: [(Response, ProblemType)] = [
            (HTTPProblems.notFound(path: "/nope"), .notFound),
            (HTTPProblems.methodNotAllowed(method: "GET", path: "/backward", allow: ["POST"]), .methodNotAllowed),
            (HTTPProblems.contentTooLarge(limit: 10), .contentTooLarge),
            (HTTPProblems.unsupportedMediaType(got: "text/plain"), .unsupportedMediaType),
            (HTTPProblems.notImplemented(method: "BREW"), .notImplemented),
            (HTTPProblems.badHost(count: 0), .badHTTPRequest),
            (HTTPProblems.badRequestLine(), .badHTTPRequest),
            (HTTPProblems.versionNotSupported("HTTP/2.0"), .httpVersionNotSupported),
            (HTTPProblems.uriTooLong(limit: 16), .uriTooLong),
            (HTTPProblems.headersTooLarge(limit: 16), .headersTooLarge),
            (HTTPProblems.badContentLength("x"), .badHTTPRequest),
            (HTTPProblems.busy(maxInflight: 1, maxQueue: 1), .overloaded),
            (HTTPProblems.ambiguousFraming("two Content-Length"), .badHTTPRequest),
            (HTTPProblems.unsupportedTransferEncoding("gzip"), .notImplemented),
            (HTTPProblems.unauthorized("no key"), .unauthorized),
            (HTTPProblems.requestTimeout(seconds: 1), .requestTimeout),
            (HTTPProblems.shuttingDown(), .shuttingDown),
            (GraphRenderer.notInstalled, .graphvizMissing),
        ]
        for (response, kind) in cases {
            #expect(try Self.type(response) == kind.uri, "\(response.status)")
        }
        #expect(try Self.type(HTTPProblems.busy(maxInflight: 1, maxQueue: 1)) == "https://swiftautograd.dev/problems/overloaded")
    }

    @Test func readinessAndFormatProblems() throws {
        let readiness = Readiness()
        #expect(readiness.response.status == 503)
        #expect(try Self.type(readiness.response) == ProblemType.notReady.uri)
        guard case .failure(let problem) = GraphFormat.choose(query: "png", accept: nil) else {
            Issue.record("?format=png was accepted")
            return
        }
        #expect(try Self.type(problem.response) == ProblemType.badHTTPRequest.uri)
    }
}

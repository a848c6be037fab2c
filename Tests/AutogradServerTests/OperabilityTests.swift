import AutogradGraph
import Foundation
import Logging
import Testing

@testable import AutogradServer

/// Readiness, the OIP aliases, /metrics, /openapi.yaml, /version, request ids, X-Served-By,
/// POST /graph as DOT and SVG, and the JSON log format (issue 6).
@Suite("Operability", .timeLimit(.minutes(1)))
struct OperabilityTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func startServer(instanceID: String? = nil) throws -> (HTTPServer, Int) {
        var configuration = ServerConfiguration(host: "127.0.0.1", port: 0)
        configuration.instanceID = instanceID
        let server = HTTPServer(configuration: configuration, service: GraphService(), logger: HTTPServer.discardingLogger)
        let port = try server.start()
        return (server, port)
    }

    @Test func routes() throws {
        #expect(try Router.resolve(method: "GET", path: "/readyz").get() == .info(.readiness))
        #expect(try Router.resolve(method: "GET", path: "/v2/health/ready").get() == .info(.readiness))
        #expect(try Router.resolve(method: "HEAD", path: "/v2/health/live").get() == .health)
        #expect(try Router.resolve(method: "GET", path: "/metrics").get() == .info(.metrics))
        #expect(try Router.resolve(method: "GET", path: "/openapi.yaml").get() == .info(.openAPI))
        #expect(try Router.resolve(method: "GET", path: "/version").get() == .info(.version))
        #expect(try Router.resolve(method: "GET", path: "/v2").get() == .info(.version))
        #expect(try Router.resolve(method: "POST", path: "/graph").get() == .graph(.graph))
        #expect(throws: RouteProblem.self) { try Router.resolve(method: "POST", path: "/metrics").get() }
        #expect(Router.metricsLabel(path: "/backward") == "/backward")
        #expect(Router.metricsLabel(path: "/readyz") == "/readyz")
        #expect(Router.metricsLabel(path: "/no/such/thing") == "other")
    }

    @Test func readinessFollowsTheLifecycle() throws {
        let server = HTTPServer(configuration: ServerConfiguration(host: "127.0.0.1", port: 0), logger: HTTPServer.discardingLogger)
        #expect(server.readiness.state == .starting)
        #expect(server.readiness.response.status == 503)
        let port = try server.start()
        defer { server.stop() }
        #expect(server.readiness.state == .ready)
        for path in ["/readyz", "/v2/health/ready"] {
            let ready = try HTTP.request(port: port, method: "GET", path: path)
            #expect(ready.status == 200)
            #expect(ready.bodyText == #"{"status":"ready"}"#)
        }
        server.beginDraining()
        let draining = try HTTP.request(port: port, method: "GET", path: "/readyz")
        #expect(draining.status == 503)
        #expect(draining.header("Content-Type") == "application/problem+json")
        #expect(draining.header("Retry-After") == "1")
        #expect(draining.bodyText.contains("not ready: draining"))
        // Still alive, still computing, while draining.
        #expect(try HTTP.request(port: port, method: "GET", path: "/healthz").status == 200)
        #expect(try HTTP.request(port: port, method: "GET", path: "/v2/health/live").status == 200)
        let seed = try Data(contentsOf: Self.root.appendingPathComponent("api/examples/seed-linear-mse.json"))
        #expect(try HTTP.postJSON(port: port, path: "/backward", body: [UInt8](seed)).status == 200)
    }

    @Test func versionAndSpec() throws {
        let (server, port) = try Self.startServer()
        defer { server.stop() }
        let version = try HTTP.request(port: port, method: "GET", path: "/version")
        #expect(version.status == 200)
        #expect(version.bodyText == #"{"name":"SwiftAutograd","version":"\#(ServerInfo.version)","extensions":[]}"#)
        #expect(try HTTP.request(port: port, method: "GET", path: "/v2").body == version.body)
        let spec = try HTTP.request(port: port, method: "GET", path: "/openapi.yaml")
        #expect(spec.status == 200)
        #expect(spec.header("Content-Type") == "application/yaml")
        let file = try Data(contentsOf: Self.root.appendingPathComponent("api/openapi.yaml"))
        #expect(spec.body == [UInt8](file), "the embedded spec is api/openapi.yaml as built (rebuild after editing it)")
        // The spec's info.version is the server's.
        let text = String(decoding: file, as: UTF8.self)
        #expect(text.contains("\ninfo:\n") && text.contains("\n  version: \(ServerInfo.version)\n"))
    }

    @Test func servedByAndRequestIDs() throws {
        let (server, port) = try Self.startServer(instanceID: "replica-a")
        defer { server.stop() }
        let plain = try HTTP.request(port: port, method: "GET", path: "/healthz")
        #expect(plain.header("X-Served-By") == "replica-a")
        let generated = try #require(plain.header("X-Request-Id"))
        #expect(generated.count == 32 && generated.allSatisfy(\.isHexDigit))
        #expect(try HTTP.request(port: port, method: "GET", path: "/healthz").header("X-Request-Id") != generated)

        let honoured = try HTTP.request(port: port, method: "GET", path: "/healthz", headers: [("X-Request-Id", "from-proxy-1")])
        #expect(honoured.header("X-Request-Id") == "from-proxy-1")
        let refused = try HTTP.request(port: port, method: "GET", path: "/healthz", headers: [("X-Request-Id", "has space")])
        #expect(refused.header("X-Request-Id")?.count == 32)

        // The body's id wins over the header, and is echoed in the body.
        let body = Array(#"{"id": "body-id", "tensors": {"a": {"data": [1, 2], "requires_grad": true}}, "ops": [{"id": "s", "op": "sum", "inputs": ["a"]}], "loss": "s"}"#.utf8)
        let answer = try HTTP.request(port: port, method: "POST", path: "/backward", headers: [("Content-Type", "application/json"), ("X-Request-Id", "header-id")], body: body)
        #expect(answer.status == 200)
        #expect(answer.header("X-Request-Id") == "body-id")
        #expect(answer.bodyText.hasPrefix(#"{"id":"body-id","#))
        #expect(answer.header("X-Served-By") == "replica-a")
    }

    @Test func defaultInstanceIDIsHostAndPort() throws {
        let (server, port) = try Self.startServer()
        defer { server.stop() }
        let servedBy = try #require(try HTTP.request(port: port, method: "GET", path: "/healthz").header("X-Served-By"))
        #expect(servedBy.hasSuffix(":\(port)") && servedBy.count > "\(port)".count + 1)
    }

    @Test func metricsCountRequestsAndGraphs() throws {
        let (server, port) = try Self.startServer()
        defer { server.stop() }
        let seed = [UInt8](try Data(contentsOf: Self.root.appendingPathComponent("api/examples/seed-linear-mse.json")))
        for _ in 0..<3 { #expect(try HTTP.postJSON(port: port, path: "/backward", body: seed).status == 200) }
        #expect(try HTTP.request(port: port, method: "GET", path: "/nowhere").status == 404)
        // A request is counted when it completes, just after its answer went out, and a
        // computation's slot is given back after its answer is handed over: poll for both.
        var metrics = try HTTP.request(port: port, method: "GET", path: "/metrics")
        for _ in 0..<50 where !metrics.bodyText.contains(#"autograd_http_requests_total{route="other",status="404"} 1"#)
            || !metrics.bodyText.contains("autograd_computations_inflight 0") {
            usleep(20_000)
            metrics = try HTTP.request(port: port, method: "GET", path: "/metrics")
        }
        #expect(metrics.status == 200)
        #expect(metrics.header("Content-Type") == "text/plain; version=0.0.4; charset=utf-8")
        let text = metrics.bodyText
        for line in [
            #"autograd_http_requests_total{route="/backward",status="200"} 3"#,
            #"autograd_http_requests_total{route="other",status="404"} 1"#,
            #"autograd_http_request_duration_seconds_count{route="/backward"} 3"#,
            "autograd_http_request_bytes_total{route=\"/backward\"} \(3 * seed.count)",
            #"autograd_graph_ops_count{endpoint="backward"} 3"#,
            #"autograd_graph_ops_sum{endpoint="backward"} 6"#,
            #"autograd_graph_elements_sum{endpoint="backward"} 57"#,
            "autograd_computations_inflight 0", "autograd_computations_queued 0", "autograd_ready 1",
            #"autograd_build_info{version="\#(ServerInfo.version)"} 1"#,
        ] {
            #expect(text.contains(line), "missing \(line)")
        }
        #expect(text.contains("# TYPE autograd_http_request_duration_seconds histogram"))
        #expect(text.contains("# TYPE autograd_http_response_bytes_total counter"))
    }

    @Test func graphAsDOTAndSVG() throws {
        let (server, port) = try Self.startServer()
        defer { server.stop() }
        let seed = [UInt8](try Data(contentsOf: Self.root.appendingPathComponent("api/examples/seed-linear-mse.json")))
        let dot = try HTTP.postJSON(port: port, path: "/graph", body: seed)
        #expect(dot.status == 200)
        #expect(dot.header("Content-Type") == "text/vnd.graphviz")
        #expect(dot.body == GraphService().respond(to: .graph, body: seed).body)
        let png = try HTTP.postJSON(port: port, path: "/graph?format=png", body: seed)
        #expect(png.status == 400)
        #expect(png.header("Content-Type") == "application/problem+json")
        try #require(GraphRenderer.dotPath() != nil, "Graphviz's dot is not installed (make test-deps installs it)")
        for (path, accept) in [("/graph?format=svg", "*/*"), ("/graph", "image/svg+xml")] {
            let svg = try HTTP.request(port: port, method: "POST", path: path, headers: [("Content-Type", "application/json"), ("Accept", accept)], body: seed)
            #expect(svg.status == 200)
            #expect(svg.header("Content-Type") == "image/svg+xml")
            #expect(svg.bodyText.contains("<svg") && svg.bodyText.contains("mse_loss") && svg.bodyText.contains("5.834"))
        }
    }

    @Test func withoutGraphvizSVGIs501() {
        #expect(GraphRenderer.dotPath(environment: ["AUTOGRAD_DOT": "/nonexistent/dot"]) == nil)
        #expect(GraphRenderer.dotPath(environment: ["PATH": "/nonexistent"]) == nil)
        let problem = GraphRenderer.notInstalled
        #expect(problem.status == 501)
        #expect(String(decoding: problem.body, as: UTF8.self).contains("apt-get install graphviz"))
        // A problem from the service passes through unchanged.
        let bad = Response(status: 422, contentType: "application/problem+json", body: Array("{}".utf8))
        #expect(GraphRenderer.svg(from: bad) == bad)
    }

    @Test func jsonLogTimestampsAreThoseOfStringFormat() {
        // The format the handler used before: String(format:) per line.
        func reference(_ seconds: Double) -> String {
            var t = time_t(seconds.rounded(.down))
            var parts = tm()
            gmtime_r(&t, &parts)
            let millis = Int(((seconds - seconds.rounded(.down)) * 1000).rounded(.down))
            return String(
                format: "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1,
                Int(parts.tm_mday), Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec), millis)
        }
        var g = SystemRandomNumberGenerator()
        var instants: [Double] = [0, 0.999, 1_700_000_000.25, 1_700_000_000.25, 951_782_400.5, -1.5, -86_400.001, 253_402_300_799.999]
        for _ in 0..<500 { instants.append(Double.random(in: 0..<4e9, using: &g)) }
        for seconds in instants {
            let date = Date(timeIntervalSince1970: seconds)
            #expect(JSONLogHandler.timestamp(date) == reference(date.timeIntervalSince1970), "\(seconds)")
        }
    }

    @Test func jsonLogLines() throws {
        let metadata = RequestLog.metadata(method: "POST", path: "/a b", status: 200, bytes: 57, milliseconds: 1.2345, ending: nil, requestID: "r-1")
        let line = JSONLogHandler.line(time: Date(timeIntervalSince1970: 1_700_000_000.25), level: .info, label: "autograd-server", message: "request", metadata: metadata)
        #expect(line.last == UInt8(ascii: "\n"))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line)) as? [String: Any])
        #expect(object["time"] as? String == "2023-11-14T22:13:20.250Z")
        #expect(object["level"] as? String == "info")
        #expect(object["message"] as? String == "request")
        #expect(object["path"] as? String == "/a%20b")
        #expect(object["status"] as? Int == 200)
        #expect(object["bytes"] as? Int == 57)
        #expect(object["ms"] as? Double == 1.235 || object["ms"] as? Double == 1.234)
        #expect(object["request_id"] as? String == "r-1")
        #expect(RequestLog.line(method: "GET", path: "/healthz", status: 200, bytes: 15, milliseconds: 0.5, requestID: "abc")
            == "request method=GET path=/healthz status=200 bytes=15 ms=0.500 id=abc")
    }
}

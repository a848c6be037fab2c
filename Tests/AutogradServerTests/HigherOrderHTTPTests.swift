import AutogradGraph
import Foundation
import GzipCoding
import Testing

/// /jvp and /hvp behave like the other graph routes over HTTP: the API key guards them,
/// the metrics count them under their own endpoint label, gzip bodies are inflated, and
/// their answers are the service's.
@Suite("/jvp and /hvp over HTTP", .timeLimit(.minutes(1)))
struct HigherOrderHTTPTests {
    static let jvp = Array(#"{"dtype": "float64", "tensors": {"x": {"data": [1, 2]}}, "ops": [{"id": "y", "op": "mul", "inputs": ["x", "x"]}], "tangents": {"x": {"data": [1, 1]}}}"#.utf8)
    static let hvp = Array(#"{"dtype": "float64", "tensors": {"x": {"data": [1, 2]}}, "ops": [{"id": "y", "op": "mul", "inputs": ["x", "x"]}, {"id": "s", "op": "sum", "inputs": ["y"]}], "loss": "s", "vectors": {"x": {"data": [1, 1]}}}"#.utf8)

    @Test func theAPIKeyGuardsThemAndTheMetricsCountThem() throws {
        let server = try ServerProcess(environment: ["AUTOGRAD_API_KEY": "s3cret-key"])
        let json = [("Content-Type", "application/json")]
        let key = [("Authorization", "Bearer s3cret-key")]
        for (path, body) in [("/jvp", Self.jvp), ("/hvp", Self.hvp)] {
            let refused = try HTTP.request(port: server.port, method: "POST", path: path, headers: json, body: body)
            #expect(refused.status == 401, "\(path)")
            #expect(refused.header("WWW-Authenticate")?.hasPrefix("Bearer") == true)
            let answered = try HTTP.request(port: server.port, method: "POST", path: path, headers: json + key, body: body)
            #expect(answered.status == 200, "\(path): \(answered.bodyText.prefix(300))")
            #expect(answered.body == GraphService().respond(to: path == "/jvp" ? .jvp : .hvp, body: body).body)
        }
        #expect(try HTTP.request(port: server.port, method: "GET", path: "/jvp", headers: key).status == 405)
        var text = ""
        for _ in 0..<50 {
            text = try HTTP.request(port: server.port, method: "GET", path: "/metrics", headers: key).bodyText
            if text.contains(#"autograd_http_requests_total{route="/hvp",status="200"} 1"#) { break }
            usleep(20_000)
        }
        for line in [
            #"autograd_http_requests_total{route="/jvp",status="200"} 1"#,
            #"autograd_http_requests_total{route="/hvp",status="200"} 1"#,
            #"autograd_http_requests_total{route="/hvp",status="401"} 1"#,
            #"autograd_graph_ops_count{endpoint="jvp"} 1"#,
            #"autograd_graph_ops_sum{endpoint="hvp"} 2"#,
        ] {
            #expect(text.contains(line), "missing \(line)")
        }
    }

    @Test func aGzipBodyIsAnsweredAsThePlainOne() throws {
        let server = try ServerProcess()
        guard let gzipped = Gzip.compress(Self.hvp, level: 1) else {
            Issue.record("gzip failed")
            return
        }
        let r = try HTTP.request(
            port: server.port, method: "POST", path: "/hvp",
            headers: [("Content-Type", "application/json"), ("Content-Encoding", "gzip")], body: gzipped)
        #expect(r.status == 200)
        let answer = try JSONParser.parse(r.body)
        #expect(LiveGraphTests.numbers(answer["hvp"]?["x"]?["data"]) == [2, 2])
    }
}

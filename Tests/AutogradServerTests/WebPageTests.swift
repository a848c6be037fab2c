import AutogradGraph
import Foundation
import Testing

@testable import AutogradServer

/// `GET /` and the page's files (issue 15): routes, content types, the CSP, ETags and
/// 304, no API key for the page while the graph routes keep needing one, and the
/// examples equal to api/examples. `tools/check_web_page.py` drives the page itself in
/// Chromium (`make test-web`).
@Suite("Web page", .timeLimit(.minutes(1)))
struct WebPageTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func startServer(apiKey: String? = nil) throws -> (HTTPServer, Int) {
        var configuration = ServerConfiguration(host: "127.0.0.1", port: 0)
        configuration.apiKey = apiKey
        let server = HTTPServer(configuration: configuration, service: GraphService(), logger: HTTPServer.discardingLogger)
        return (server, try server.start())
    }

    @Test func everyFileIsAReadRoute() throws {
        #expect(WebPage.paths == ["/", "/web/app.js", "/web/app.css", "/web/icon.svg", "/web/examples",
                                  "/web/examples/seed-linear-mse.json", "/web/examples/mlp-train.json",
                                  "/web/examples/cnn-train.json", "/web/examples/transformer-block.json",
                                  "/web/examples/gradient-penalty.json", "/web/examples/pinn-poisson-train.json",
                                  "/web/examples/newton-cg-hvp.json"])
        for path in WebPage.paths {
            #expect(try Router.resolve(method: "GET", path: path).get() == .page(path))
            #expect(try Router.resolve(method: "HEAD", path: path).get() == .page(path))
            #expect(Router.publicPaths.contains(path))
            #expect(Router.metricsLabel(path: path) == path)
        }
        #expect(throws: RouteProblem.self) { try Router.resolve(method: "GET", path: "/web/examples/nope.json").get() }
        #expect(!Router.publicPaths.contains("/backward"))
    }

    @Test func theExamplesAreTheRequestsOfApiExamples() throws {
        let directory = Self.root.appendingPathComponent("api/examples")
        let requests = try FileManager.default.contentsOfDirectory(atPath: directory.path)
            .filter { $0.hasSuffix(".json") && !$0.hasSuffix(".response.json") }
            .map { String($0.dropLast(5)) }.sorted()
        #expect(WebPage.examples.map(\.name).sorted() == requests)
        for example in WebPage.examples {
            let file = try Data(contentsOf: directory.appendingPathComponent("\(example.name).json"))
            #expect(example.body == [UInt8](file), "\(example.name)")
        }
        let list = try JSONSerialization.jsonObject(with: Data(WebPage.examplesList())) as? [String: [[String: String]]]
        #expect(list?["examples"]?.map { $0["href"] ?? "" } == WebPage.examples.map { "web/examples/\($0.name).json" })
    }

    /// Every `src` and `href` of index.html is a relative path the server has; nothing inline.
    @Test func indexLinksOnlyItsOwnFiles() throws {
        let html = String(decoding: PackageResources.index_html, as: UTF8.self)
        let links = try Regex(#"(?:src|href)="([^"]*)""#)
        let targets = html.matches(of: links).map { String($0.output[1].substring ?? "") }
        #expect(Set(targets) == ["web/icon.svg", "web/app.css", "web/app.js"])
        for target in targets { #expect(WebPage.assets["/" + target] != nil, "\(target)") }
        #expect(!html.contains("<style") && !html.contains(" style=") && !html.contains("<script>"))
        #expect(!html.contains("http://") && !html.contains("https://"))
    }

    @Test func servedWithTypesPolicyAndValidators() throws {
        let (server, port) = try Self.startServer()
        defer { server.stop() }
        let types = [
            "/": "text/html; charset=utf-8", "/web/app.js": "text/javascript; charset=utf-8",
            "/web/app.css": "text/css; charset=utf-8", "/web/icon.svg": "image/svg+xml",
            "/web/examples": "application/json", "/web/examples/seed-linear-mse.json": "application/json",
        ]
        for (path, type) in types {
            let response = try HTTP.request(port: port, method: "GET", path: path)
            #expect(response.status == 200)
            #expect(response.header("Content-Type") == type, "\(path)")
            #expect(response.body == WebPage.assets[path]?.body, "\(path)")
            #expect(response.header("Content-Security-Policy") == WebPage.contentSecurityPolicy)
            #expect(response.header("X-Content-Type-Options") == "nosniff")
            #expect(response.header("Cache-Control") == "no-cache")
            let etag = try #require(response.header("ETag"))
            #expect(etag == "\"" + WebPage.fnv1a(response.body) + "\"")
            for condition in [etag, "W/\(etag)", "\"other\", \(etag)", "*"] {
                let again = try HTTP.request(port: port, method: "GET", path: path, headers: [("If-None-Match", condition)])
                #expect(again.status == 304, "\(path) \(condition)")
                #expect(again.body.isEmpty)
                #expect(again.header("Content-Type") == nil)
                #expect(again.header("ETag") == etag)
            }
            let stale = try HTTP.request(port: port, method: "GET", path: path, headers: [("If-None-Match", "\"0000000000000000\"")])
            #expect(stale.status == 200)
        }
        let post = try HTTP.postJSON(port: port, path: "/", body: Array("{}".utf8))
        #expect(post.status == 405)
        #expect(post.header("Allow") == "GET, HEAD")
    }

    @Test func thePageNeedsNoKeyButTheGraphRoutesDo() throws {
        let (server, port) = try Self.startServer(apiKey: "page-test-key")
        defer { server.stop() }
        for path in WebPage.paths {
            #expect(try HTTP.request(port: port, method: "GET", path: path).status == 200, "\(path)")
        }
        let seed = try [UInt8](Data(contentsOf: Self.root.appendingPathComponent("api/examples/seed-linear-mse.json")))
        #expect(try HTTP.postJSON(port: port, path: "/backward", body: seed).status == 401)
        #expect(try HTTP.request(port: port, method: "GET", path: "/ops").status == 401)
        let keyed = try HTTP.request(
            port: port, method: "POST", path: "/backward",
            headers: [("Content-Type", "application/json"), ("Authorization", "Bearer page-test-key")], body: seed)
        #expect(keyed.status == 200)
    }
}

import AutogradGraph
import Foundation
import Testing

@testable import AutogradServer

/// The library API (`HTTPServer`), in this process, over real sockets.
@Suite("HTTPServer in process", .timeLimit(.minutes(1)))
struct InProcessTests {
    static func startServer(maxBodyBytes: Int = 1024, maxInflight: Int = 2) throws -> (HTTPServer, Int) {
        let server = HTTPServer(
            configuration: ServerConfiguration(host: "127.0.0.1", port: 0, maxBodyBytes: maxBodyBytes, maxInflight: maxInflight))
        let port = try server.start()
        return (server, port)
    }

    @Test func everyEndpointIsRoutedToTheService() throws {
        let (server, port) = try Self.startServer()
        defer { server.stop() }
        #expect(server.port == port)
        for endpoint in Endpoint.allCases {
            let body = Array(#"{"inputs":{}}"#.utf8)
            let response = try HTTP.postJSON(port: port, path: "/\(endpoint.rawValue)", body: body)
            expectSame(response, GraphService().respond(to: endpoint, body: body))
        }
    }

    @Test func opsCatalogComesFromTheService() throws {
        let (server, port) = try Self.startServer()
        defer { server.stop() }
        expectSame(try HTTP.request(port: port, method: "GET", path: "/ops"), GraphService().operations())
        let post = try HTTP.postJSON(port: port, path: "/ops", body: Array("{}".utf8))
        #expect(post.status == 405)
        #expect(post.header("Allow") == "GET, HEAD")
    }

    @Test func headOnHealthHasHeadersOnly() throws {
        let (server, port) = try Self.startServer()
        defer { server.stop() }
        let response = try HTTP.request(port: port, method: "HEAD", path: "/healthz")
        #expect(response.status == 200)
        #expect(response.header("Content-Type") == "application/json")
        #expect(response.header("Content-Length") == "15")
    }

    @Test func keepAliveServesSeveralRequestsOnOneConnection() throws {
        let (server, port) = try Self.startServer()
        defer { server.stop() }
        let connection = try RawHTTPConnection(port: port)
        for _ in 0..<3 {
            connection.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            let response = try connection.readResponse()
            #expect(response.status == 200)
            #expect(response.bodyText == #"{"status":"ok"}"#)
        }
        let body = Array("{}".utf8)
        connection.send("POST /backward HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}")
        expectSame(try connection.readResponse(), GraphService().respond(to: .backward, body: body))
    }

    @Test func problemsForRoutingMediaTypeAndSize() throws {
        let (server, port) = try Self.startServer(maxBodyBytes: 16)
        defer { server.stop() }
        let notFound = try HTTP.postJSON(port: port, path: "/backward/x", body: Array("{}".utf8))
        #expect(notFound.status == 404)
        let options = try HTTP.request(port: port, method: "OPTIONS", path: "/backward")
        #expect(options.status == 405)
        #expect(options.header("Allow") == "POST")
        let tooBig = try HTTP.postJSON(port: port, path: "/backward", body: Array(repeating: 0x20, count: 17))
        #expect(tooBig.status == 413)
        #expect(tooBig.header("Content-Type") == "application/problem+json")
        let exactly = try HTTP.postJSON(port: port, path: "/backward", body: Array(repeating: 0x20, count: 16))
        #expect(exactly.status != 413)
        let unsupported = try HTTP.postJSON(port: port, path: "/backward", body: Array("{}".utf8), contentType: "application/jsonx")
        #expect(unsupported.status == 415)
        let badLength = try RawHTTPConnection(port: port)
        badLength.send("POST /backward HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 12abc\r\n\r\n")
        let bad = try badLength.readResponse()
        #expect((400...499).contains(bad.status))
    }

    @Test func endlessChunkedUploadIsCutOff() throws {
        let (server, port) = try Self.startServer(maxBodyBytes: 1024)
        defer { server.stop() }
        let response = try HTTP.chunkedPost(
            port: port, path: "/backward", chunks: Array(repeating: [UInt8](repeating: 0x20, count: 4096), count: 2048),
            finish: false)
        #expect(response.status == 413)
    }

    @Test func stopWhileServingAnswersOrRefusesButNeverHangs() throws {
        let (server, port) = try Self.startServer(maxInflight: 1)
        let body = Array(#"{"inputs":{}}"#.utf8)
        let expected = GraphService().respond(to: .backward, body: body)
        let connections = try (0..<8).map { _ in try RawHTTPConnection(port: port) }
        for c in connections {
            c.send("POST /backward HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: \(body.count)\r\n\r\n")
            c.send(body)
        }
        server.stop()
        for c in connections {
            // Either the answer (the service's or 503 once stopping) or a closed connection.
            if let response = try? c.readResponse() {
                #expect(response.status == expected.status || response.status == 503)
            }
        }
        server.stop()  // idempotent
        #expect(throws: (any Error).self) { try RawHTTPConnection(port: port, timeoutSeconds: 1) }
    }

    @Test func startFailuresAreErrors() throws {
        let (server, port) = try Self.startServer()
        defer { server.stop() }
        #expect(throws: ServerError.self) { try server.start() }
        let clash = HTTPServer(configuration: ServerConfiguration(port: port))
        #expect(throws: ServerError.self) { try clash.start() }
        let badHost = HTTPServer(configuration: ServerConfiguration(host: "localhost", port: 0))
        #expect(throws: ServerError.self) { try badHost.start() }
        let badInflight = HTTPServer(configuration: ServerConfiguration(port: 0, maxInflight: 0))
        #expect(throws: ServerError.self) { try badInflight.start() }
    }

    @Test func ipv6LoopbackWorksWhereAvailable() throws {
        let server = HTTPServer(configuration: ServerConfiguration(host: "::1", port: 0))
        guard let port = try? server.start() else { return }  // no IPv6 on this machine
        defer { server.stop() }
        #expect(port > 0)
    }
}

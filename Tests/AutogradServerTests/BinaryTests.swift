import AutogradGraph
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The real `autograd-server` executable over real sockets.
@Suite("autograd-server binary", .timeLimit(.minutes(1)))
struct BinaryTests {
    static let smallBody = Array(#"{"inputs":{}}"#.utf8)

    @Test func logsPortAndServesHealth() throws {
        let server = try ServerProcess()
        #expect(server.port > 0)
        let response = try HTTP.request(port: server.port, method: "GET", path: "/healthz")
        #expect(response.status == 200)
        #expect(response.header("Content-Type") == "application/json")
        #expect(response.bodyText == #"{"status":"ok"}"#)
        #expect(server.waitForLog("request method=GET path=/healthz status=200 bytes=15 ms="))
        #expect(server.log.contains("listening on http://127.0.0.1:\(server.port)"))
    }

    @Test func postPassesServiceAnswerThroughByteForByte() throws {
        let server = try ServerProcess()
        let expected = GraphService.asTheBinaryRunsIt.respond(to: .backward, body: Self.smallBody)
        let response = try HTTP.postJSON(port: server.port, path: "/backward", body: Self.smallBody)
        expectSame(response, expected)
    }

    @Test func unknownPathIs404Problem() throws {
        let server = try ServerProcess()
        let response = try HTTP.request(port: server.port, method: "GET", path: "/nope")
        #expect(response.status == 404)
        #expect(response.header("Content-Type") == "application/problem+json")
        #expect(response.bodyText.contains(#""status":404"#))
    }

    @Test func wrongMethodIs405WithAllow() throws {
        let server = try ServerProcess()
        let get = try HTTP.request(port: server.port, method: "GET", path: "/backward")
        #expect(get.status == 405)
        #expect(get.header("Allow") == "POST")
        #expect(get.header("Content-Type") == "application/problem+json")
        #expect(get.bodyText.contains(#""status":405"#))
        let post = try HTTP.postJSON(port: server.port, path: "/healthz", body: Self.smallBody)
        #expect(post.status == 405)
        #expect(post.header("Allow") == "GET, HEAD")
    }

    @Test func declaredLengthOverLimitIs413BeforeAnyBody() throws {
        let server = try ServerProcess(arguments: ["--max-body-bytes", "1024"])
        let connection = try RawHTTPConnection(port: server.port, timeoutSeconds: 3)
        // Headers only: the body is never sent, so only an answer on the first call can come.
        connection.send("POST /backward HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 5000\r\n\r\n")
        let started = Date()
        let response = try connection.readResponse()
        #expect(response.status == 413)
        #expect(response.header("Content-Type") == "application/problem+json")
        #expect(response.bodyText.contains(#""status":413"#))
        #expect(Date().timeIntervalSince(started) < 2)
    }

    @Test func chunkedUploadsAreCountedAgainstTheLimit() throws {
        let server = try ServerProcess(arguments: ["--max-body-bytes", "1024"])
        // Under the cap: accepted and handed to the service.
        let body = Array(#"{"inputs":{},"pad":""#.utf8) + [UInt8](repeating: UInt8(ascii: "a"), count: 600) + Array(#""}"#.utf8)
        let chunks = stride(from: 0, to: body.count, by: 100).map { Array(body[$0..<min($0 + 100, body.count)]) }
        let under = try HTTP.chunkedPost(port: server.port, path: "/backward", chunks: chunks)
        expectSame(under, GraphService.asTheBinaryRunsIt.respond(to: .backward, body: body))
        // Over the cap, body never finished: answered 413 as soon as the count passes.
        let over = try HTTP.chunkedPost(
            port: server.port, path: "/backward",
            chunks: Array(repeating: [UInt8](repeating: 0x20, count: 300), count: 5), finish: false)
        #expect(over.status == 413)
        #expect(over.header("Content-Type") == "application/problem+json")
        #expect(server.waitForLog("path=/backward status=413"))
    }

    @Test func nonJSONContentTypeIs415() throws {
        let server = try ServerProcess()
        let wrong = try HTTP.postJSON(port: server.port, path: "/backward", body: Self.smallBody, contentType: "text/plain")
        #expect(wrong.status == 415)
        #expect(wrong.header("Content-Type") == "application/problem+json")
        let missing = try HTTP.request(port: server.port, method: "POST", path: "/backward", body: Self.smallBody)
        #expect(missing.status == 415)
        let withParameters = try HTTP.postJSON(
            port: server.port, path: "/backward", body: Self.smallBody, contentType: "Application/JSON; charset=utf-8")
        #expect(withParameters.status != 415)
    }

    @Test(arguments: [SIGTERM, SIGINT])
    func signalStopsCleanly(signal: Int32) throws {
        let server = try ServerProcess()
        _ = try HTTP.request(port: server.port, method: "GET", path: "/healthz")
        #expect(server.stop(signal: signal) == 0)
        #expect(server.log.contains("stopped"))
        #expect(throws: (any Error).self) { try RawHTTPConnection(port: server.port, timeoutSeconds: 1) }
    }

    /// SIGTERM while a computation runs: the client still gets its full answer, exit 0.
    @Test func sigtermDrainsInflightComputation() throws {
        let example = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("api/examples/mlp-train.json")
        guard let body = try? Array(Data(contentsOf: example)) else { return }  // example not in this checkout
        let server = try ServerProcess()
        let expected = GraphService.asTheBinaryRunsIt.respond(to: .train, body: body)
        let connection = try RawHTTPConnection(port: server.port, timeoutSeconds: 20)
        connection.send("POST /train HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: \(body.count)\r\n\r\n")
        connection.send(body)
        usleep(50_000)
        kill(server.process.processIdentifier, SIGTERM)
        expectSame(try connection.readResponse(), expected)
        #expect(server.stop(signal: SIGTERM) == 0)
    }

    @Test func concurrentRequestsAreAllAnswered() throws {
        let server = try ServerProcess(arguments: ["--max-inflight", "2"])
        let port = server.port
        let expected = GraphService.asTheBinaryRunsIt.respond(to: .backward, body: Self.smallBody)
        let responses = try inParallel(16) { _ in
            try HTTP.postJSON(port: port, path: "/backward", body: BinaryTests.smallBody)
        }
        #expect(responses.count == 16)
        for response in responses { expectSame(response, expected) }
    }

    @Test func invalidFlagsExitNonZero() throws {
        let process = Process()
        process.executableURL = try ServerProcess.binaryURL()
        process.arguments = ["--host", "not-an-address", "--port", "0"]
        process.standardError = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let deadline = Date(timeIntervalSinceNow: 10)
        while process.isRunning && Date() < deadline { usleep(10_000) }
        if process.isRunning { process.terminate() }
        #expect(!process.isRunning)
        #expect(process.terminationStatus != 0)
    }
}

/// The server must copy the service's answer onto the wire unchanged.
func expectSame(_ response: HTTPResponse, _ expected: Response, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(response.status == expected.status, sourceLocation: sourceLocation)
    #expect(response.header("Content-Type") == expected.contentType, sourceLocation: sourceLocation)
    #expect(response.body == expected.body, sourceLocation: sourceLocation)
    for header in expected.headers {
        #expect(response.header(header.name) == header.value, sourceLocation: sourceLocation)
    }
}

import AutogradGraph
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

@testable import AutogradServer

/// Issue 5, server half: limits as flags and environment variables, framing, slow clients,
/// drain on SIGTERM, bearer auth, TLS and what the log may contain — against the real binary.
@Suite("limits and reliability", .timeLimit(.minutes(1)))
struct ReliabilityTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// api/examples/mlp-train.json with `steps` replaced: a request that computes for a
    /// while (about 2 ms a step in a debug build).
    static func trainBody(steps: Int) throws -> [UInt8] {
        let data = try Data(contentsOf: root.appendingPathComponent("api/examples/mlp-train.json"))
        var object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        object["steps"] = steps
        return Array(try JSONSerialization.data(withJSONObject: object))
    }

    static func post(_ connection: RawHTTPConnection, _ path: String, _ body: [UInt8], headers: String = "") {
        connection.send("POST \(path) HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\(headers)Content-Length: \(body.count)\r\n\r\n")
        connection.send(body)
    }

    // MARK: limits

    @Test func environmentVariablesSetLimitsAndFlagsWin() throws {
        #expect(EnvironmentOptions.variable(for: "--max-connections-per-ip") == "AUTOGRAD_MAX_CONNECTIONS_PER_IP")
        #expect(EnvironmentOptions.arguments(options: ["--a-b", "--c"], environment: ["AUTOGRAD_A_B": "1", "AUTOGRAD_C": ""])
            == ["--a-b", "1"])
        let body = Array(repeating: UInt8(ascii: " "), count: 17)
        let fromEnvironment = try ServerProcess(environment: ["AUTOGRAD_MAX_BODY_BYTES": "16"])
        #expect(try HTTP.postJSON(port: fromEnvironment.port, path: "/backward", body: body).status == 413)
        let flagWins = try ServerProcess(arguments: ["--max-body-bytes", "17"], environment: ["AUTOGRAD_MAX_BODY_BYTES": "16"])
        #expect(try HTTP.postJSON(port: flagWins.port, path: "/backward", body: body).status == 400)  // read, not JSON
    }

    /// `--max-ops`, `--max-rank`, `--max-elements` and `--max-train-steps` reach `GraphLimits`:
    /// the binary answers exactly what a `GraphService` with those limits answers (a 422),
    /// where the defaults accept the same request.
    @Test func graphLimitFlagsReachTheService() throws {
        var limits = GraphLimits()
        limits.maxOps = 1
        limits.maxRank = 2
        limits.maxElements = 10
        limits.maxTrainSteps = 3
        let server = try ServerProcess(arguments: ["--max-ops", "1", "--max-rank", "2", "--max-elements", "10", "--max-train-steps", "3"])
        let service = GraphService(limits: limits)
        let cases: [(Endpoint, String)] = [
            (.forward, #"{"tensors":{"x":{"data":[1,2]}},"ops":[{"id":"a","op":"neg","inputs":["x"]},{"id":"b","op":"neg","inputs":["a"]}]}"#),
            (.forward, #"{"tensors":{"x":{"data":[[[1]]]}},"ops":[{"id":"a","op":"neg","inputs":["x"]}]}"#),
            (.forward, #"{"tensors":{"x":{"shape":[11],"init":{"name":"zeros"}}},"ops":[{"id":"a","op":"neg","inputs":["x"]}]}"#),
            (.train, #"{"tensors":{"w":{"data":[1],"requires_grad":true}},"ops":[{"id":"l","op":"sum","inputs":["w"]}],"loss":"l","optimizer":{"name":"sgd","lr":0.1},"steps":4}"#),
        ]
        for (endpoint, text) in cases {
            let body = Array(text.utf8)
            let expected = service.respond(to: endpoint, body: body)
            #expect(expected.status == 422, "\(text)")
            #expect(GraphService.asTheBinaryRunsIt.respond(to: endpoint, body: body).status == 200, "\(text)")
            expectSame(try HTTP.postJSON(port: server.port, path: "/\(endpoint.rawValue)", body: body), expected)
        }
    }

    /// `--request-timeout` reaches the executor: a /train of ~20 s stops at 0.3 s with 503.
    @Test func requestTimeoutFlagStopsALongComputation() throws {
        let server = try ServerProcess(arguments: ["--request-timeout", "0.3"])
        let started = Date()
        let connection = try RawHTTPConnection(port: server.port, timeoutSeconds: 10)
        Self.post(connection, "/train", try Self.trainBody(steps: 10_000))
        let response = try connection.readResponse()
        #expect(response.status == 503)
        #expect(response.header("Content-Type") == "application/problem+json")
        #expect(Date().timeIntervalSince(started) < 3)
    }

    /// One computation runs, one waits; the next is refused at once with 503 + Retry-After.
    @Test func fullQueueAnswers503WithRetryAfter() throws {
        let server = try ServerProcess(arguments: ["--max-inflight", "1", "--max-queue", "1", "--log-level", "debug"])
        let long = try Self.trainBody(steps: 1500)
        let running = try RawHTTPConnection(port: server.port, timeoutSeconds: 30)
        Self.post(running, "/train", long)
        #expect(server.waitForLog("computation queued", count: 1))
        let waiting = try RawHTTPConnection(port: server.port, timeoutSeconds: 30)
        Self.post(waiting, "/train", long)
        #expect(server.waitForLog("computation queued", count: 2))
        let started = Date()
        let refused = try HTTP.postJSON(port: server.port, path: "/train", body: long)
        #expect(Date().timeIntervalSince(started) < 1)
        #expect(refused.status == 503)
        #expect(refused.header("Retry-After") == "1")
        #expect(refused.header("Content-Type") == "application/problem+json")
        #expect(refused.bodyText.contains(#""status":503"#))
        #expect(try HTTP.request(port: server.port, method: "GET", path: "/healthz").status == 200)
    }

    @Test func invalidLimitFlagsAreRefused() throws {
        for arguments in [["--max-queue", "-1"], ["--max-connections", "0"], ["--max-ops", "0"], ["--drain-timeout", "-1"],
                          ["--tls-cert", "/nonexistent"], ["--api-key-file", "/nonexistent"], ["--log-level", "loud"]] {
            #expect(throws: (any Error).self, "\(arguments)") { try ServerProcess(arguments: arguments) }
        }
    }

    // MARK: framing

    static func exchange(_ port: Int, _ raw: String) throws -> HTTPResponse {
        let connection = try RawHTTPConnection(port: port, timeoutSeconds: 3)
        connection.send(raw)
        return try connection.readResponse()
    }

    /// Request smuggling shapes are refused with a 400 problem, and the connection closed.
    @Test func ambiguousFramingIs400AndCloses() throws {
        let server = try ServerProcess()
        let head = "POST /backward HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        for framing in ["Content-Length: 2\r\nContent-Length: 2\r\n\r\n{}",
                        "Content-Length: 2\r\nContent-Length: 40\r\n\r\n{}",
                        "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n",
                        "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n2\r\n{}\r\n0\r\n\r\n",
                        "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n"] {
            let connection = try RawHTTPConnection(port: server.port, timeoutSeconds: 3)
            connection.send(head + framing)
            let response = try connection.readResponse()
            #expect(response.status == 400, "\(framing)")
            #expect(response.header("Content-Type") == "application/problem+json")
            #expect(response.bodyText.contains("ambiguous message framing"))
            #expect(connection.isClosedByServer(within: 2), "\(framing)")
        }
        let gzip = try Self.exchange(server.port, head + "Transfer-Encoding: gzip, chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n")
        #expect(gzip.status == 501)
        #expect(gzip.header("Content-Type") == "application/problem+json")
        // One Content-Length or chunked alone still works.
        #expect(try Self.exchange(server.port, head + "Content-Length: 2\r\n\r\n{}").status == 400)  // a graph problem
        #expect(try Self.exchange(server.port, head + "Transfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n").bodyText
            .contains("graph document"))
    }

    /// Requests libmicrohttpd 0.9.75 would answer itself, before the server's handler runs,
    /// in HTML (and for Content-Length with its header block twice), are answered by
    /// `HeaderGate` (on by default) as one problem each.
    @Test func libraryAnswersForMalformedRequests() throws {
        let server = try ServerProcess()
        for (request, status) in [
            ("GET /" + String(repeating: "a", count: 100_000) + " HTTP/1.1\r\nHost: x\r\n\r\n", 414),
            ("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + String(repeating: "a", count: 100_000) + "\r\n\r\n", 431),
            ("GET /healthz HTTP/2.0\r\nHost: x\r\n\r\n", 505),
            ("POST /backward HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 12abc\r\n\r\n", 400),
        ] {
            let connection = try RawHTTPConnection(port: server.port, timeoutSeconds: 3)
            connection.send(request)
            let answer = try connection.readResponse()
            #expect(answer.status == status)
            #expect(answer.header("Content-Type") == "application/problem+json")
            #expect(answer.bodyText.contains(#""status":\#(status)"#))
            #expect(connection.isClosedByServer(within: 3))
            #expect(connection.received.isEmpty)  // nothing after the one answer (no second header block)
        }
        // HTTP/1.2 is read as 1.1 (RFC 9110 §2.5: same major version).
        #expect(try Self.exchange(server.port, "GET /healthz HTTP/1.2\r\nHost: x\r\nConnection: close\r\n\r\n").status == 200)
        #expect(try HTTP.request(port: server.port, method: "GET", path: "/healthz").status == 200)
    }

    /// The same refusals on a later request of a keep-alive connection (the shim follows
    /// the framing: after a plain GET, a body of Content-Length, a chunked body with a
    /// trailer), whole or in pieces: one problem each, nothing after it, the connection
    /// closed; libmicrohttpd never answers them itself. Every malformed Content-Length form
    /// of issue 23.
    @Test func laterRequestsOnAKeepAliveConnectionAreCheckedAsTheFirst() throws {
        let server = try ServerProcess()
        let post = "POST /backward HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: "
        let refused: [(String, Int)] = ["abc", "-1", "+389", "0x185", "", "12abc"].map { (post + $0 + "\r\n\r\n", 400) } + [
            (post + String(repeating: "9", count: 24) + "\r\n\r\n", 413),
            ("GET /healthz HTTP/2.0\r\nHost: x\r\n\r\n", 505),
            ("GET /" + String(repeating: "a", count: 100_000) + " HTTP/1.1\r\nHost: x\r\n\r\n", 414),
            ("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + String(repeating: "a", count: 100_000) + "\r\n\r\n", 431),
        ]
        let before = [
            "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n",
            post + "2\r\n\r\n{}",
            "POST /backward HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n1;x=y\r\n{\r\n1\r\n}\r\n0\r\nX-Trailer: 1\r\n\r\n",
        ]
        for (request, status) in refused {
            for (k, first) in before.enumerated() {
                let connection = try RawHTTPConnection(port: server.port, timeoutSeconds: 3)
                connection.send(first)
                let answer = try connection.readResponse()
                #expect(answer.status == (k == 0 ? 200 : 400), "\(first)")
                #expect(answer.header("Connection") != "close")
                // The request line first, the rest a moment later: the refusal may come at either.
                let cut = request.firstIndex(of: "\n").map { request.index(after: $0) } ?? request.endIndex
                connection.send(String(request[..<cut]))
                usleep(20_000)
                connection.send(String(request[cut...]))
                let refusal = try connection.readResponse()
                #expect(refusal.status == status, "\(request.prefix(80)) after \(first.prefix(30))")
                #expect(refusal.header("Content-Type") == "application/problem+json")
                #expect(refusal.bodyText.contains(#""status":\#(status)"#))
                #expect(connection.isClosedByServer(within: 3))
                #expect(connection.received.isEmpty, "\(connection.received.prefix(200))")  // no second header block
            }
        }
        // Well-formed requests are untouched: sequential and pipelined on one connection.
        let connection = try RawHTTPConnection(port: server.port, timeoutSeconds: 3)
        for _ in 0..<3 {
            connection.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(try connection.readResponse().status == 200)
        }
        connection.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n" + post + "2\r\n\r\n{}" + "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try connection.readResponse().status == 200)
        #expect(try connection.readResponse().status == 400)
        #expect(try connection.readResponse().status == 200)
        #expect(!connection.isClosedByServer(within: 0.2))
    }

    // MARK: slow clients

    /// A client that sends a header line a byte at a time, forever.
    final class Trickler: @unchecked Sendable {  // `stopped` guarded by `lock`
        let connections: [RawHTTPConnection]
        private let lock = NSLock()
        private var stopped = false

        init(_ connections: [RawHTTPConnection]) {
            self.connections = connections
            for c in connections { c.send("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ") }
            Thread.detachNewThread { [self] in
                while !isStopped {
                    for c in self.connections { c.send("a") }
                    usleep(200_000)
                }
            }
        }

        var isStopped: Bool { lock.lock(); defer { lock.unlock() }; return stopped }
        func stop() { lock.lock(); stopped = true; lock.unlock() }
    }

    /// 127.0.0.1 fills its per-IP limit with trickling connections: its next connection is
    /// closed at once, another address is still answered within a second, and the global
    /// connection limit holds too.
    @Test func perIPAndConnectionLimitsHoldAgainstTricklers() throws {
        let server = try ServerProcess(arguments: ["--max-connections-per-ip", "4", "--max-connections", "6"])
        let port = server.port
        let trickler = Trickler(try (0..<4).map { _ in try RawHTTPConnection(port: port, source: "127.0.0.1") })
        defer { trickler.stop() }
        usleep(300_000)  // the server has accepted them (and seen bytes since)
        let fifth = try RawHTTPConnection(port: port, source: "127.0.0.1")
        fifth.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(fifth.isClosedByServer(within: 1))
        #expect(!fifth.received.contains("200 OK"))

        let started = Date()
        let other = try RawHTTPConnection(port: port, timeoutSeconds: 1, source: "127.0.0.2")
        other.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try other.readResponse().status == 200)
        #expect(Date().timeIntervalSince(started) < 1)

        // 4 + 1 (127.0.0.2, kept alive) + 1 more = 6, the global limit. At the limit MHD
        // stops accepting: the 7th waits in the kernel's backlog, unserved, until a
        // connection closes.
        var sixth: RawHTTPConnection? = try RawHTTPConnection(port: port, source: "127.0.0.3")
        sixth?.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try sixth?.readResponse().status == 200)
        let seventh = try RawHTTPConnection(port: port, timeoutSeconds: 3, source: "127.0.0.4")
        seventh.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(!seventh.isClosedByServer(within: 0.7))
        #expect(seventh.received.isEmpty)
        sixth = nil  // frees a slot
        #expect(try seventh.readResponse().status == 200)
        for c in trickler.connections { #expect(!c.isClosedByServer(within: 0.01)) }  // inactivity timeout never fires
    }

    /// `--request-read-timeout`: a client trickling its request (never idle, so the
    /// inactivity timeout never fires) is cut off with a 408 once the deadline passes; a
    /// keep-alive client that sends whole requests is not.
    @Test func requestReadTimeoutClosesTricklers() throws {
        let server = try ServerProcess(arguments: ["--request-read-timeout", "1", "--connection-timeout", "30"])
        let started = Date()
        let trickler = Trickler([try RawHTTPConnection(port: server.port)])
        defer { trickler.stop() }
        let keepAlive = try RawHTTPConnection(port: server.port)
        for _ in 0..<4 {
            keepAlive.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(try keepAlive.readResponse().status == 200)
            usleep(400_000)
        }
        let connection = trickler.connections[0]
        #expect(connection.isClosedByServer(within: 3))
        let elapsed = Date().timeIntervalSince(started)
        #expect(elapsed > 0.9 && elapsed < 3.5)
        #expect(connection.received.hasPrefix("HTTP/1.1 408"))
        #expect(server.waitForLog("sent no complete request within 1.0 s"))
    }

    // MARK: graceful shutdown

    /// 20 computations accepted (running or queued), then SIGTERM: new connections are
    /// refused, every one of the 20 gets its full answer, exit status 0.
    @Test func sigtermLosesNoAcceptedRequest() throws {
        let server = try ServerProcess(arguments: ["--max-inflight", "2", "--log-level", "debug"])
        let body = try Self.trainBody(steps: 40)
        let expected = GraphService.asTheBinaryRunsIt.respond(to: .train, body: body)
        #expect(expected.status == 200)
        let connections = try (0..<20).map { _ in try RawHTTPConnection(port: server.port, timeoutSeconds: 30) }
        for c in connections { Self.post(c, "/train", body) }
        #expect(server.waitForLog("computation queued", count: 20))
        kill(server.process.processIdentifier, SIGTERM)
        #expect(server.waitForLog("stopping: draining"))
        #expect(throws: (any Error).self) { try RawHTTPConnection(port: server.port, timeoutSeconds: 1) }
        for c in connections { expectSame(try c.readResponse(), expected) }
        #expect(server.stop(signal: 0, timeout: 20) == 0)
        #expect(server.log.contains("stopped"))
    }

    /// A computation longer than `--drain-timeout`: the process exits 1 at the deadline
    /// instead of hanging.
    @Test func drainTimeoutBoundsShutdown() throws {
        let server = try ServerProcess(arguments: ["--drain-timeout", "0.5", "--log-level", "debug"])
        let connection = try RawHTTPConnection(port: server.port, timeoutSeconds: 30)
        Self.post(connection, "/train", try Self.trainBody(steps: 10_000))
        #expect(server.waitForLog("computation queued"))
        let started = Date()
        #expect(server.stop(signal: SIGTERM, timeout: 10) == 1)
        #expect(Date().timeIntervalSince(started) < 3)
        #expect(server.log.contains("drain timeout"))
    }

    // MARK: auth

    @Test func bearerTokenGuardsEveryRouteButHealth() throws {
        #expect(BearerAuth.constantTimeEqual(Array("abc".utf8), Array("abc".utf8)))
        #expect(!BearerAuth.constantTimeEqual(Array("abc".utf8), Array("abd".utf8)))
        #expect(!BearerAuth.constantTimeEqual(Array("abc".utf8), Array("abcd".utf8)))
        #expect(!BearerAuth.constantTimeEqual([], Array("a".utf8)))
        let keyFile = FileManager.default.temporaryDirectory.appendingPathComponent("autograd-key-\(UUID().uuidString)")
        try "s3cret-key\n".write(to: keyFile, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: keyFile) }
        let fromFile = try ServerProcess(arguments: ["--api-key-file", keyFile.path])
        let fromEnvironment = try ServerProcess(environment: ["AUTOGRAD_API_KEY": "s3cret-key"])
        let body = Array(#"{"inputs":{}}"#.utf8)
        for server in [fromFile, fromEnvironment] {
            let port = server.port
            // Probes answer without the key, so orchestrators need no secret.
            for probe in ["/healthz", "/readyz", "/v2/health/live", "/v2/health/ready"] {
                #expect(try HTTP.request(port: port, method: "GET", path: probe).status == 200, "\(probe)")
            }
            #expect(try HTTP.request(port: port, method: "GET", path: "/metrics").status == 401)
            for headers in [[], [("Authorization", "Bearer n0pe-guess")], [("Authorization", "Bearer s3cret-ke")],
                            [("Authorization", "Basic s3cret-key")]] {
                let ops = try HTTP.request(port: port, method: "GET", path: "/ops", headers: headers)
                #expect(ops.status == 401)
                #expect(ops.header("WWW-Authenticate")?.hasPrefix("Bearer") == true)
                #expect(ops.header("Content-Type") == "application/problem+json")
                #expect(!ops.bodyText.contains("n0pe") && !ops.bodyText.contains("s3cret"))
                let post = try HTTP.request(port: port, method: "POST", path: "/backward",
                                            headers: headers + [("Content-Type", "application/json")], body: body)
                #expect(post.status == 401)
            }
            let good = [("Authorization", "Bearer s3cret-key")]
            #expect(try HTTP.request(port: port, method: "GET", path: "/ops", headers: good).status == 200)
            #expect(try HTTP.request(port: port, method: "GET", path: "/ops", headers: [("Authorization", "bearer  s3cret-key")]).status == 200)
            let graph = try HTTP.request(port: port, method: "POST", path: "/backward",
                                         headers: good + [("Content-Type", "application/json")], body: body)
            expectSame(graph, GraphService.asTheBinaryRunsIt.respond(to: .backward, body: body))
            #expect(!server.log.contains("s3cret"))
        }
    }

    // MARK: TLS

    static func run(_ executable: String, _ arguments: [String]) -> (status: Int32, output: String)? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return nil }
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: output, as: UTF8.self))
    }

    /// HTTPS with a self-signed certificate made here (openssl), spoken to by curl; plain
    /// HTTP to the same port gets no HTTP answer. Skipped where openssl or curl is missing.
    @Test func servesHTTPSWithTLSFlags() throws {
        let fm = FileManager.default
        guard fm.isExecutableFile(atPath: "/usr/bin/openssl"), fm.isExecutableFile(atPath: "/usr/bin/curl") else { return }
        let dir = fm.temporaryDirectory.appendingPathComponent("autograd-tls-\(UUID().uuidString)")
        try fm.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? fm.removeItem(at: dir) }
        let cert = dir.appendingPathComponent("cert.pem").path, key = dir.appendingPathComponent("key.pem").path
        let made = Self.run("/usr/bin/openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
                                                 "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"])
        #expect(made?.status == 0)
        let server = try ServerProcess(arguments: ["--tls-cert", cert, "--tls-key", key])
        #expect(server.log.contains("listening on https://127.0.0.1:\(server.port)"))
        let health = Self.run("/usr/bin/curl", ["-s", "--max-time", "5", "--cacert", cert, "https://127.0.0.1:\(server.port)/healthz"])
        #expect(health?.status == 0)
        #expect(health?.output == #"{"status":"ok"}"#)
        let backward = Self.run("/usr/bin/curl", ["-s", "--max-time", "5", "--cacert", cert, "-H", "Content-Type: application/json",
                                                  "--data-binary", "@" + Self.root.appendingPathComponent("api/examples/seed-linear-mse.json").path,
                                                  "https://127.0.0.1:\(server.port)/backward"])
        let request = try Data(contentsOf: Self.root.appendingPathComponent("api/examples/seed-linear-mse.json"))
        let expected = GraphService.asTheBinaryRunsIt.respond(to: .backward, body: Array(request))
        #expect(backward?.output == String(decoding: expected.body, as: UTF8.self))
        let plain = try RawHTTPConnection(port: server.port, timeoutSeconds: 2)
        plain.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(plain.isClosedByServer(within: 2))
        #expect(!plain.received.contains("HTTP/1.1 200"))
    }

    // MARK: logs

    /// Whatever a request carries, the log shows method, path, status and sizes — never a
    /// tensor value (nor the API key), at every log level.
    @Test func logsCarryNoTensorData() throws {
        let server = try ServerProcess(arguments: ["--log-level", "trace"], environment: ["AUTOGRAD_API_KEY": "k3y-xyzzy"])
        let auth = [("Authorization", "Bearer k3y-xyzzy"), ("Content-Type", "application/json")]
        let marker = "987654.125"
        let bodies = [
            #"{"tensors":{"x":{"data":[[\#(marker),2],[3,4]]}},"ops":[{"id":"y","op":"sum","inputs":["x"]}]}"#,
            #"{"tensors":{"x":{"data":[[\#(marker),2],[3]]}},"ops":[{"id":"y","op":"sum","inputs":["x"]}]}"#,  // 422
            #"{"tensors":{"x":{"data":[\#(marker),"#,  // 400, truncated
            #"{"tensors":{"x":{"data":[\#(marker)]}},"ops":[{"id":"y","op":"nope","inputs":["x"]}]}"#,
        ]
        for body in bodies {
            _ = try HTTP.request(port: server.port, method: "POST", path: "/forward", headers: auth, body: Array(body.utf8))
        }
        _ = try HTTP.request(port: server.port, method: "POST", path: "/backward?x=\(marker)", headers: [("Content-Type", "application/json")],
                             body: Array(bodies[0].utf8))
        #expect(server.waitForLog("path=/forward", count: 4))
        let log = server.log
        #expect(!log.contains("987654"))
        #expect(!log.contains("k3y-xyzzy"))
        #expect(log.contains("request method=POST path=/forward status=200 bytes="))
    }
}

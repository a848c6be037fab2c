import AutogradGraph
import Foundation
import Testing

@testable import AutogradServer

/// Suspension, the in-flight bound and graceful stop, with a slow stand-in for the service.
@Suite("computation scheduling", .timeLimit(.minutes(1)))
struct ComputationTests {
    /// Counts concurrent calls; each takes `delay` seconds.
    final class SlowResponder: @unchecked Sendable {  // counters guarded by `lock`
        let delay: TimeInterval
        let lock = NSLock()
        private(set) var running = 0
        private(set) var maxRunning = 0
        private(set) var started = 0
        /// For each call, how long its body had waited (since it was complete) when it began.
        private(set) var waits: [Duration] = []

        init(delay: TimeInterval) { self.delay = delay }

        func respond(_ endpoint: Endpoint, _ body: [UInt8], _ arrived: ContinuousClock.Instant) -> Response {
            let waited = ContinuousClock.now - arrived
            lock.lock(); running += 1; started += 1; maxRunning = max(maxRunning, running); waits.append(waited); lock.unlock()
            Thread.sleep(forTimeInterval: delay)
            lock.lock(); running -= 1; lock.unlock()
            return Response(status: 200, contentType: "application/json", body: Array(#"{"echo":"#.utf8) + body + [UInt8(ascii: "}")],
                            headers: [(name: "X-Endpoint", value: endpoint.rawValue)])
        }

        var startedCount: Int { lock.lock(); defer { lock.unlock() }; return started }
        var maxConcurrent: Int { lock.lock(); defer { lock.unlock() }; return maxRunning }
    }

    static func start(_ responder: SlowResponder, maxInflight: Int) throws -> (HTTPServer, Int) {
        let server = HTTPServer(
            configuration: ServerConfiguration(port: 0, maxInflight: maxInflight),
            logger: HTTPServer.discardingLogger,
            respond: { endpoint, body, arrived in responder.respond(endpoint, body, arrived) })
        return (server, try server.start())
    }

    @Test func inflightIsBoundedAndEveryRequestAnswered() throws {
        let responder = SlowResponder(delay: 0.05)
        let (server, port) = try Self.start(responder, maxInflight: 2)
        defer { server.stop() }
        let responses = try inParallel(8) { i in
            try HTTP.postJSON(port: port, path: "/backward", body: Array("\(i)".utf8))
        }
        for (i, response) in responses.enumerated() {
            #expect(response.status == 200)
            #expect(response.bodyText == #"{"echo":\#(i)}"#)
            #expect(response.header("X-Endpoint") == "backward")
        }
        #expect(responder.maxConcurrent <= 2)
        #expect(responder.startedCount == 8)
    }

    @Test func theTimeoutClockStartsWhenTheBodyArrivesNotWhenASlotFrees() throws {
        // One slot, three requests of 0.3 s each sent together: the last to run waited about
        // 0.6 s in the queue, and the instant handed to the service says so (the request
        // timeout counts it).
        let responder = SlowResponder(delay: 0.3)
        let (server, port) = try Self.start(responder, maxInflight: 1)
        defer { server.stop() }
        _ = try inParallel(3) { i in try HTTP.postJSON(port: port, path: "/backward", body: Array("\(i)".utf8)) }
        let waits = responder.lock.withLock { responder.waits }.sorted()
        #expect(waits.count == 3)
        #expect(waits.last.map { $0 >= .milliseconds(250) } == true)
    }

    @Test func pollingThreadStaysResponsiveWhileComputing() throws {
        let responder = SlowResponder(delay: 0.8)
        let (server, port) = try Self.start(responder, maxInflight: 1)
        defer { server.stop() }
        let slow = try RawHTTPConnection(port: port)
        slow.send("POST /backward HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}")
        while responder.startedCount == 0 { usleep(5_000) }
        let started = Date()
        let health = try HTTP.request(port: port, method: "GET", path: "/healthz")
        #expect(health.status == 200)
        #expect(Date().timeIntervalSince(started) < 0.5)
        #expect(try slow.readResponse().status == 200)
    }

    @Test func stopWaitsForInflightAnswers() throws {
        let responder = SlowResponder(delay: 0.3)
        let (server, port) = try Self.start(responder, maxInflight: 4)
        let connections = try (0..<3).map { _ in try RawHTTPConnection(port: port) }
        for c in connections {
            c.send("POST /backward HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}")
        }
        let deadline = Date(timeIntervalSinceNow: 5)
        while responder.startedCount < 3 && Date() < deadline { usleep(5_000) }
        #expect(responder.startedCount == 3)
        server.stop()  // must not return before the three answers are out
        for c in connections {
            let response = try c.readResponse()
            #expect(response.status == 200)
            #expect(response.bodyText == #"{"echo":{}}"#)
        }
        #expect(throws: (any Error).self) { try RawHTTPConnection(port: port, timeoutSeconds: 1) }
    }
}

import AutogradGraph
import Dispatch
import Foundation
import Testing
@testable import AutogradServer

/// The pieces of issue 23 that need no server: request targets, methods, CORS, the queue.
@Suite("HTTP/1.1 pieces")
struct HTTP11UnitTests {
    @Test func absoluteFormTargetsBecomeTheirPath() {
        #expect(Router.path(ofTarget: "/healthz") == "/healthz")
        #expect(Router.path(ofTarget: "http://127.0.0.1:8080/healthz") == "/healthz")
        #expect(Router.path(ofTarget: "HTTPS://example.com/backward") == "/backward")
        #expect(Router.path(ofTarget: "http://example.com") == "/")
        #expect(Router.path(ofTarget: "http://example.com?x=1") == "/?x=1")
        #expect(Router.path(ofTarget: "ftp://example.com/healthz") == "ftp://example.com/healthz")
        #expect(Router.path(ofTarget: "*") == "*")
    }

    @Test func unknownMethodsAre501KnownOnes405() throws {
        guard case .failure(let brew) = Router.resolve(method: "BREW", path: "/backward") else {
            Issue.record("BREW was routed"); return
        }
        #expect(brew.response.status == 501)
        guard case .failure(let delete) = Router.resolve(method: "DELETE", path: "/backward") else {
            Issue.record("DELETE was routed"); return
        }
        #expect(delete.response.status == 405)
        #expect(delete.response.headers.first { $0.name == "Allow" }?.value == "POST")
        #expect(Router.methods(path: "/ops") == ["GET", "HEAD"])
        #expect(Router.methods(path: "/backward") == ["POST"])
        #expect(Router.methods(path: "/nowhere") == nil)
    }

    /// The 408 `make load` once saw (issue 14): a connection stamped after the sweep read
    /// its clock must not look 2^64 ns old.
    @Test func sweeperIsNotFooledByAStampLaterThanItsClock() {
        let second: UInt64 = 1_000_000_000
        let limit = 4 * second
        #expect(!SlowClientSweeper.overdue(since: 100 * second + 2_418, now: 100 * second, limit: limit))
        #expect(!SlowClientSweeper.overdue(since: 100 * second, now: 100 * second, limit: limit))
        #expect(!SlowClientSweeper.overdue(since: 100 * second, now: 104 * second, limit: limit))
        #expect(SlowClientSweeper.overdue(since: 100 * second, now: 104 * second + 1, limit: limit))
        #expect(SlowClientSweeper.overdue(since: 0, now: UInt64.max, limit: limit))
    }

    @Test func corsPolicy() {
        let off = CORSPolicy(origins: [])
        #expect(off.responseHeaders(origin: "https://a.example").isEmpty)
        let some = CORSPolicy(origins: CORSPolicy.parse(["https://a.example", "http://b.example:8000, https://c.example"]))
        #expect(some.origins == ["https://a.example", "http://b.example:8000", "https://c.example"])
        #expect(some.allowOrigin(for: "http://b.example:8000") == "http://b.example:8000")
        #expect(some.allowOrigin(for: "http://b.example") == nil)
        #expect(some.allowOrigin(for: nil) == nil)
        let headers = some.responseHeaders(origin: "https://c.example")
        #expect(headers.first { $0.name == "Access-Control-Allow-Origin" }?.value == "https://c.example")
        #expect(headers.first { $0.name == "Vary" }?.value == "Origin")
        #expect(CORSPolicy(origins: ["*"]).allowOrigin(for: "https://any.example") == "*")
        let preflight = CORSPolicy.preflight(allow: ["POST"])
        #expect(preflight.status == 204 && preflight.body.isEmpty)
        #expect(preflight.headers.first { $0.name == "Access-Control-Allow-Methods" }?.value == "POST")
        #expect(CORSPolicy.problem(with: "*") == nil)
        #expect(CORSPolicy.problem(with: "https://a.example:8443") == nil)
        #expect(CORSPolicy.problem(with: "https://a.example/") != nil)
        #expect(CORSPolicy.problem(with: "a.example") != nil)
        var configuration = ServerConfiguration()
        configuration.corsOrigins = ["https://a.example/path"]
        #expect(configuration.validationErrors().count == 1)
    }

    /// With the slot taken, waiting requests are bounded by their bytes as well as their
    /// count; a request larger than the byte bound may still wait in an empty queue.
    @Test func queueIsBoundedByBytes() {
        let limiter = ComputeLimiter(limit: 1, maxQueue: 10, maxQueueBytes: 100)
        let release = DispatchSemaphore(value: 0)
        let done = DispatchGroup()
        done.enter()
        limiter.submit(bytes: 1000) { release.wait(); done.leave() }
        #expect(limiter.hasRoom(bytes: 500))  // the queue is empty
        done.enter()
        limiter.submit(bytes: 60) { done.leave() }
        #expect(limiter.hasRoom(bytes: 40))
        #expect(!limiter.hasRoom(bytes: 41))
        release.signal()
        #expect(done.wait(timeout: .now() + 5) == .success)
        #expect(limiter.hasRoom(bytes: 100))
    }

    private static func outcome(_ text: String, truncated: Bool = false) -> Int? {
        switch HeaderBlock.problem(in: Array(text.utf8), truncated: truncated, maxBodyBytes: 1000) {
        case .incomplete: return -1
        case .fine: return nil
        case .refuse(let response, _, _, _): return response.status
        }
    }

    /// What `HeaderGate` answers itself: the requests libmicrohttpd would answer in HTML.
    @Test func headerBlockChecks() {
        let head = "POST /backward HTTP/1.1\r\nHost: x\r\n"
        #expect(Self.outcome(head + "Content-Length: 12\r\n\r\n") == nil)
        #expect(Self.outcome(head + "content-length:  12 \r\n\r\n") == nil)
        for bad in ["abc", "-1", "+389", "0x185", "", "1, 1", "12abc"] {
            #expect(Self.outcome(head + "Content-Length: \(bad)\r\n\r\n") == 400, "\(bad)")
        }
        #expect(Self.outcome(head + "Content-Length: 123456789012345678901234\r\n\r\n") == 413)
        #expect(Self.outcome(head + "Content-Length: 18446744073709551615\r\n\r\n") == 413)
        #expect(Self.outcome("GET /healthz HTTP/2.0\r\n\r\n") == 505)
        #expect(Self.outcome("GET /healthz HTTP/1.2\r\nHost: x\r\n\r\n") == nil)
        #expect(Self.outcome("GET /healthz\r\n\r\n") == 400)
        #expect(Self.outcome("\r\nGET /healthz HTTP/1.1\nHost: x\n\n") == nil)  // leading CRLF, bare LF
        #expect(Self.outcome(head + "Content-Len") == -1)  // not all here yet
        #expect(Self.outcome("GET /aaaa", truncated: true) == 414)
        #expect(Self.outcome("GET / HTTP/1.1\r\nX: aaaa", truncated: true) == 431)
        let block = Array("POST / HTTP/1.1\r\nHost: x\r\norigin:  https://a.example \r\n\r\nOrigin: body".utf8)
        #expect(HeaderBlock.field("Origin", in: block) == "https://a.example")
        #expect(HeaderBlock.field("Origin", in: Array("GET / HTTP/1.1\r\nHost: x\r\n\r\nOrigin: body".utf8)) == nil)
    }
}

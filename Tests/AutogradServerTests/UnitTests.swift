import AutogradGraph
import CMicroHTTPD
import Foundation
import Logging
import Testing

@testable import AutogradServer

@Suite("HTTP pieces")
struct UnitTests {
    @Test(arguments: [
        ("application/json", true), ("Application/JSON", true), ("application/json; charset=utf-8", true),
        (" application/json ;charset=UTF-8", true), ("application/json;", true),
        ("\tAPPLICATION/Json\t; q=1", true), ("application/json x", false), ("application/jsom", false),
        ("application/\u{212A}son", false),
        ("text/plain", false), ("application/jsonp", false), ("application/problem+json", false),
        ("", false),
    ])
    func mediaType(value: String, isJSON: Bool) {
        #expect(MediaType.isJSON(value) == isJSON)
    }

    @Test func missingContentTypeIsNotJSON() {
        #expect(!MediaType.isJSON(nil))
    }

    @Test func routes() throws {
        #expect(try Router.resolve(method: "GET", path: "/healthz").get() == .health)
        #expect(try Router.resolve(method: "HEAD", path: "/healthz").get() == .health)
        #expect(try Router.resolve(method: "GET", path: "/ops").get() == .operations)
        for endpoint in Endpoint.allCases {
            #expect(try Router.resolve(method: "POST", path: "/\(endpoint.rawValue)").get() == .graph(endpoint))
        }
        #expect(try Router.resolve(method: "GET", path: "/").get() == .page("/"))
        guard case .failure(let notFound) = Router.resolve(method: "GET", path: "/index.html") else { Issue.record("/index.html routed"); return }
        #expect(notFound.response.status == 404)
        guard case .failure(let wrong) = Router.resolve(method: "PUT", path: "/healthz") else { Issue.record("PUT routed"); return }
        #expect(wrong.response.status == 405)
        #expect(wrong.response.headers.first { $0.name == "Allow" }?.value == "GET, HEAD")
    }

    @Test func requestLogLine() {
        #expect(RequestLog.line(method: "POST", path: "/backward", status: 200, bytes: 57, milliseconds: 1.5)
            == "request method=POST path=/backward status=200 bytes=57 ms=1.500")
        #expect(RequestLog.line(method: "GET", path: "/a b\n%", status: nil, bytes: 0, milliseconds: 0)
            == "request method=GET path=/a%20b%0A%25 status=- bytes=0 ms=0.000")
        #expect(RequestLog.line(method: "POST", path: "/train", status: nil, bytes: 0, milliseconds: 2, ending: "client-abort")
            == "request method=POST path=/train status=- bytes=0 ms=2.000 ended=client-abort")
        #expect(RequestLog.ending(.REQUEST_TERMINATED_COMPLETED_OK) == nil)
        #expect(RequestLog.ending(.REQUEST_TERMINATED_TIMEOUT_REACHED) == "timeout")
    }

    @Test func requestLogMillisecondsAreThoseOfStringFormat() {
        var values = [0, -0.0, 0.0005, 0.0015, 1.0005, 2.675, 0.1234, 12.3456, 999.9995, 123_456.7895, -0.0004, -3.25,
                      0.0004999999, 999_999.9995, 1e14, 1e20, 1e300, -1e300, .infinity, -.infinity, .nan]
        var g = SystemRandomNumberGenerator()
        for _ in 0..<2000 { values.append(Double(Int.random(in: 0..<10_000_000, using: &g)) / 1e6 + Double.random(in: 0..<1e-6, using: &g)) }
        for k in 0..<2000 { values.append(Double(k) / 2000 + 0.0005) }  // near ties
        for v in values {
            #expect(RequestLog.threeDecimals(v) == String(format: "%.3f", v), "\(v)")
        }
    }

    @Test func textLogLinesAreThoseOfStreamLogHandler() {
        final class Capture: TextOutputStream, @unchecked Sendable {
            var text = ""
            func write(_ string: String) { text += string }
        }
        let theirs = Capture(), ours = Capture()
        var stream = StreamLogHandler(label: "autograd-server", stream: theirs, metadataProvider: nil)
        var text = TextLogHandler(label: "autograd-server", write: { ours.write(String(decoding: $0, as: UTF8.self)) })
        stream.logLevel = .trace
        text.logLevel = .trace
        stream.metadata = ["base": "1"]
        text.metadata = ["base": "1"]
        let metadataCases: [Logger.Metadata?] = [nil, ["b": "2", "a": .array(["x", "y"]), "c": .dictionary(["k": "v"])]]
        for metadata in metadataCases {
            for level in Logger.Level.allCases {
                let event = LogEvent(
                    level: level, message: "request method=GET path=/healthz", metadata: metadata,
                    source: "AutogradServer", file: #fileID, function: #function, line: #line)
                theirs.text = ""
                ours.text = ""
                stream.log(event: event)
                text.log(event: event)
                // Everything after the timestamp is the same; the timestamps have one
                // format (they differ only if a second ticked over in between).
                let afterTime = { (line: String) in line.drop { $0 != " " } }
                #expect(afterTime(ours.text) == afterTime(theirs.text))
                #expect(ours.text.prefix { $0 != " " }.count == theirs.text.prefix { $0 != " " }.count)
                #expect(ours.text.hasSuffix("] request method=GET path=/healthz\n"))
            }
        }
    }

    @Test func earlyRejectionWireFormat() {
        let response = Response(status: 413, contentType: "application/problem+json", body: Array("{}".utf8), headers: [("X-A", "1")])
        let text = String(decoding: EarlyRejection.wireBytes(response), as: UTF8.self)
        #expect(text == "HTTP/1.1 413 Content Too Large\r\nConnection: close\r\nContent-Type: application/problem+json\r\nX-A: 1\r\nContent-Length: 2\r\n\r\n{}")
    }

    /// A response that carries `Connection: close` itself (408, framing 400) still gets one
    /// such field, and identity headers follow the response's own.
    @Test func earlyRejectionWritesConnectionOnce() {
        let text = String(decoding: EarlyRejection.wireBytes(
            HTTPProblems.requestTimeout(seconds: 3), extraHeaders: [("X-Request-Id", "r1")]), as: UTF8.self)
        #expect(text.components(separatedBy: "\r\n").filter { $0.lowercased().hasPrefix("connection:") } == ["Connection: close"])
        #expect(text.hasPrefix("HTTP/1.1 408 Request Timeout\r\n"))
        #expect(text.contains("\r\nX-Request-Id: r1\r\n"))
    }

    @Test func lingerBounds() {
        let linger = EarlyRejection.Linger(timeoutSeconds: 5, timeSeconds: 30, bytes: 100)
        #expect(linger.allows(dropped: 100, since: .now()))
        #expect(!linger.allows(dropped: 101, since: .now()))
        let past = DispatchTime(uptimeNanoseconds: DispatchTime.now().uptimeNanoseconds - 31_000_000_000)
        #expect(!linger.allows(dropped: 0, since: past))
        #expect(ServerConfiguration().lingerBytes == 64 << 20)
        var bad = ServerConfiguration()
        bad.lingerTimeoutSeconds = 0
        bad.lingerTimeSeconds = -1
        bad.lingerBytes = -1
        #expect(bad.validationErrors().count == 3)
    }

    @Test func requestLogSaysTheBodyWasDropped() {
        #expect(RequestLog.line(method: "POST", path: "/backward", status: 401, bytes: 120, milliseconds: 2, dropped: 4_194_304)
            == "request method=POST path=/backward status=401 bytes=120 ms=2.000 body=dropped dropped_bytes=4194304")
        let fields = RequestLog.metadata(method: "POST", path: "/backward", status: 401, bytes: 120, milliseconds: 2, dropped: 7)
        #expect(fields["body"] == .string("dropped"))
        #expect(fields["dropped_bytes"]?.description == "7")
    }

    @Test func portParsing() {
        #expect(ServerProcess.parsePort(fromLog: "2026 info autograd-server: [AutogradServer] listening on http://127.0.0.1:4321\n") == 4321)
        #expect(ServerProcess.parsePort(fromLog: "listening on http://[::1]:80") == 80)
        #expect(ServerProcess.parsePort(fromLog: "nothing") == nil)
    }

    @Test func configurationValidation() {
        #expect(ServerConfiguration().validationErrors().isEmpty)
        #expect(ServerConfiguration(port: 70000).validationErrors().count == 1)
        #expect(ServerConfiguration(host: "example.com").validationErrors().count == 1)
        #expect(ServerConfiguration(maxBodyBytes: -1, maxInflight: 0).validationErrors().count == 2)
    }
}

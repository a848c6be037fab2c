import CMicroHTTPD
import Testing

@testable import AutogradServer

/// The request framing the C shim follows under libmicrohttpd's reads (framing.c), on
/// byte streams: which request lines and header blocks reach the check, however the stream
/// is cut into reads, and where the following stops.
@Suite("request framing under libmicrohttpd's reads")
struct FramingTests {
    final class Log {
        var blocks: [(kind: Int32, text: String)] = []
        var refuse: (String) -> Bool = { _ in false }
    }

    /// The blocks `stream` hands to the check and the end (-1 followed to the end, -2
    /// stopped, else the offset of the refused read), the same for every read size.
    static func follow(_ stream: String, refuse: @escaping (String) -> Bool = { _ in false }) -> (end: Int, blocks: [(Int32, String)]) {
        let bytes = Array(stream.utf8)
        var results: [(Int, [(Int32, String)])] = []
        for piece in [1, 2, 5, 13, max(bytes.count, 1)] {
            let log = Log()
            log.refuse = refuse
            let end = bytes.withUnsafeBufferPointer { buffer in
                cmhd_framing_follow_stream(buffer.baseAddress, buffer.count, piece, { cls, _, block, length, kind in
                    let log = Unmanaged<Log>.fromOpaque(cls!).takeUnretainedValue()
                    let text = String(decoding: UnsafeBufferPointer(start: block, count: length), as: UTF8.self)
                    log.blocks.append((kind, text))
                    return log.refuse(text) ? 1 : 0
                }, Unmanaged.passUnretained(log).toOpaque())
            }
            results.append((end >= 0 ? 0 : end, log.blocks.map { ($0.kind, $0.text) }))
        }
        for r in results.dropFirst() {
            #expect(r.0 == results[0].0 && r.1.map(\.1) == results[0].1.map(\.1) && r.1.map(\.0) == results[0].1.map(\.0))
        }
        return (results[0].0, results[0].1)
    }

    static let line = CMHD_BLOCK_REQUEST_LINE, complete = CMHD_BLOCK_COMPLETE

    /// Bodies are skipped, whatever they hold (a request line, an empty line): a
    /// Content-Length body, a chunked one with an extension, data holding CRLF CRLF and a
    /// trailer, then the next request; bare LF line ends and empty lines between requests.
    @Test func bodiesAreSkippedAndEveryRequestIsSeen() {
        let get = "GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n"
        let post = "POST /forward HTTP/1.1\r\nHost: t\r\nContent-Length: 23\r\n\r\n"
        let chunked = "POST /forward HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
        let body = "GET /x HTTP/2.0\r\n\r\n{}  "  // 23 bytes
        #expect(body.utf8.count == 23)
        let stream = get + post + body + chunked + "4;ext=1\r\n\r\n\r\n\r\n0\r\nX-T: 1\r\n\r\n"
            + "\r\n" + "GET /lf HTTP/1.1\nhost: t\n\n" + get
        let (end, blocks) = Self.follow(stream)
        #expect(end == -1)
        let heads = [get, post, chunked, "GET /lf HTTP/1.1\nhost: t\n\n", get]
        #expect(blocks.map(\.0) == heads.flatMap { _ in [Self.line, Self.complete] })
        #expect(blocks.filter { $0.0 == Self.complete }.map(\.1) == heads)
        #expect(blocks.filter { $0.0 == Self.line }.map(\.1) == heads.map { String(decoding: $0.utf8.prefix { $0 != 10 }, as: UTF8.self) + "\n" })
    }

    /// A refused block ends the stream where it is read; framing the shim cannot be sure
    /// of stops the following (two lengths, a transfer coding other than chunked, a chunk
    /// size that is not hexadecimal), and nothing after it is seen.
    @Test func refusalsAndUncertainFramingEndTheFollowing() {
        let refused = Self.follow("GET / HTTP/1.1\r\n\r\nPOST / HTTP/1.1\r\nContent-Length: abc\r\n\r\nGET / HTTP/1.1\r\n\r\n") {
            $0.contains("abc")
        }
        #expect(refused.end == 0 && refused.blocks.count == 4)
        for uncertain in ["POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nx",
                          "POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\nx",
                          "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"] {
            let r = Self.follow(uncertain + "GET /after HTTP/1.1\r\n\r\n")
            #expect(r.end == -2, "\(uncertain)")
            #expect(!r.blocks.contains { $0.1.contains("/after") })
        }
    }

    /// A block longer than CMHD_FRAMING_HEAD_MAX goes to the check as over-long, once.
    @Test func anOverLongBlockIsAskedAboutOnce() {
        let r = Self.follow("GET / HTTP/1.1\r\nX-Big: " + String(repeating: "a", count: 20_000) + "\r\n\r\n")
        #expect(r.end == -2)
        #expect(r.blocks.map(\.0) == [Self.line, CMHD_BLOCK_TOO_LONG])
        #expect(r.blocks.last?.1.utf8.count == Int(CMHD_FRAMING_HEAD_MAX) + 1)
    }

    /// What the check answers for each kind: the gate's own outcomes.
    @Test func theChecksAreTheGates() {
        func refused(_ bytes: String, _ kind: Int32) -> Int? {
            if case .refuse(let response, _, _, _) = HeaderBlock.outcome(of: Array(bytes.utf8), kind: kind, maxBodyBytes: 1 << 20) {
                return response.status
            }
            return nil
        }
        #expect(refused("GET / HTTP/2.0\r\n", Self.line) == 505)
        #expect(refused("GET /\r\n", Self.line) == 400)
        #expect(refused("GET / HTTP/1.1\r\n", Self.line) == nil)
        #expect(refused("POST / HTTP/1.1\r\nContent-Length: +5\r\n\r\n", Self.complete) == 400)
        #expect(refused("POST / HTTP/1.1\r\nContent-Length: 123456789012345678901234\r\n\r\n", Self.complete) == 413)
        #expect(refused("POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\n", Self.complete) == nil)
        #expect(refused("GET / HTTP/1.1\r\nX: " + String(repeating: "a", count: 20_000), CMHD_BLOCK_TOO_LONG) == 431)
    }
}

import AutogradGraph
import Foundation
import GzipCoding
import Testing

@testable import AutogradServer

/// The whole of `bytes` inflated, or the failure (no limit short of 1 GiB).
private func inflate(_ bytes: [UInt8], limit: Int = 1 << 30, chunk: Int = .max) -> Result<[UInt8], GzipInflater.Failure> {
    let inflater = GzipInflater(limit: limit)
    var out: [UInt8] = []
    do {
        var start = 0
        while start < bytes.count {
            let end = min(bytes.count, start + min(chunk, bytes.count - start))
            try bytes[start..<end].withUnsafeBytes { try inflater.append($0, to: &out) }
            start = end
        }
        try inflater.finish()
        return .success(out)
    } catch let failure as GzipInflater.Failure {
        return .failure(failure)
    } catch {
        return .failure(.truncated(reason: "unexpected \(error)"))
    }
}

private let text = Array(String(repeating: #"{"tensors": {"x": {"data": [1.5, 2.5, 3.5]}}}"#, count: 200).utf8)

@Suite("gzip bodies: inflating")
struct GzipInflaterTests {
    @Test func roundTripsWholeAndByteByByte() throws {
        let gz = try #require(Gzip.compress(text, level: 1))
        #expect(Array(gz.prefix(4)) == [0x1f, 0x8b, 0x08, 0x00])  // magic, deflate, no flags
        #expect(Array(gz[4..<8]) == [0, 0, 0, 0])                   // MTIME 0: deterministic
        #expect(gz.count < text.count / 10)
        #expect(try inflate(gz).get() == text)
        #expect(try inflate(gz, chunk: 1).get() == text)
        #expect(try inflate(gz, chunk: 7).get() == text)
        #expect(Gzip.compress(text, level: 1) == gz)
    }

    @Test func membersOneAfterAnotherAreOneBody() throws {
        let a = try #require(Gzip.compress(Array("{\"a\":".utf8), level: 6))
        let b = try #require(Gzip.compress(Array("1}".utf8), level: 6))
        #expect(try inflate(a + b).get() == Array("{\"a\":1}".utf8))
        #expect(try inflate(a + b, chunk: 3).get() == Array("{\"a\":1}".utf8))
    }

    @Test func aBombStopsAtTheLimitWithoutInflatingFurther() throws {
        let zeros = [UInt8](repeating: 0x20, count: 8 << 20)
        let gz = try #require(Gzip.compress(zeros, level: 9))
        #expect(gz.count < 16 << 10)
        let inflater = GzipInflater(limit: 1 << 20)
        var out: [UInt8] = []
        #expect(throws: GzipInflater.Failure.tooLarge(limit: 1 << 20)) {
            try gz.withUnsafeBytes { try inflater.append($0, to: &out) }
        }
        #expect(out.count <= 1 << 20)
        #expect(try inflate(gz, limit: 8 << 20).get().count == 8 << 20)  // exactly the limit is fine
    }

    @Test func corruptTruncatedAndEmptyBodiesFailWithAReason() throws {
        let gz = try #require(Gzip.compress(text, level: 1))
        var badCRC = gz
        badCRC[gz.count - 6] ^= 0xff
        guard case .failure(.corrupt(let reason, _)) = inflate(badCRC) else { Issue.record("bad CRC accepted"); return }
        #expect(reason == "incorrect data check")
        guard case .failure(.corrupt(let header, let offset)) = inflate(Array("{\"tensors\":{}}".utf8)) else {
            Issue.record("plain JSON accepted as gzip"); return
        }
        #expect(header == "incorrect header check" && offset <= 2)
        guard case .failure(.truncated) = inflate(Array(gz.dropLast(5))) else { Issue.record("truncated accepted"); return }
        guard case .failure(.truncated) = inflate([]) else { Issue.record("empty accepted"); return }
        guard case .failure(.corrupt) = inflate(gz + [0, 0, 0, 0]) else { Issue.record("trailing bytes accepted"); return }
    }
}

@Suite("Content-Encoding and Accept-Encoding")
struct ContentCodingTests {
    @Test(arguments: [
        (nil, true), ("identity", true), ("", true), ("gzip", false), (" GZip ", false), ("x-gzip", false),
        ("identity, gzip", false),
    ] as [(String?, Bool)])
    func acceptedRequestCodings(value: String?, identity: Bool) {
        #expect(ContentCoding.requestCoding(value, fields: value == nil ? 0 : 1) == (identity ? .identity : .gzip))
    }

    @Test(arguments: ["br", "deflate", "x-foo", "gzip, gzip", "gzip, br", "compress"])
    func otherCodingsAreUnsupported(value: String) {
        #expect(ContentCoding.requestCoding(value, fields: 1) == .unsupported(value))
    }

    @Test func twoFieldsAreStacked() {
        #expect(ContentCoding.requestCoding("gzip", fields: 2) == .unsupported("2 Content-Encoding fields"))
    }

    @Test(arguments: [
        (nil, false), ("gzip", true), ("GZIP", true), ("x-gzip", true), ("gzip;q=0", false), ("gzip; q=0.000", false),
        ("*", true), ("*;q=0", false), ("gzip;q=0, *", false), ("br", false), ("deflate, gzip;q=0.5", true),
        ("identity;q=1, gzip;q=0.5", false), ("gzip;q=0.5, identity;q=0.5", true), ("gzip;q=abc", false),
        ("identity;q=0", false), ("br;q=1.0, gzip;q=0.8, *;q=0.1", true), ("gzip, deflate, br, zstd", true),
    ] as [(String?, Bool)])
    func acceptEncodingWithQValues(header: String?, gzip: Bool) {
        #expect(ContentCoding.acceptsGzip(header) == gzip)
    }

    @Test func smallAnswersAndCodedOnesStayAsTheyAre() throws {
        let small = Response(status: 200, contentType: "application/json", body: Array(repeating: 0x31, count: 1023))
        #expect(ContentCoding.encode(small, acceptsGzip: true) == small)
        let large = Response(status: 200, contentType: "application/json", body: text)
        #expect(ContentCoding.encode(large, acceptsGzip: false) == large)
        let coded = ContentCoding.encode(large, acceptsGzip: true)
        #expect(coded.headers.last?.name == "Content-Encoding" && coded.headers.last?.value == "gzip")
        #expect(try inflate(coded.body).get() == text)
        #expect(ContentCoding.encode(coded, acceptsGzip: true) == coded)
        // A strong ETag gets its own value for the gzip form, which If-None-Match may name.
        let tagged = Response(status: 200, contentType: "text/css", body: text, headers: [(name: "ETag", value: "\"abc\"")])
        #expect(ContentCoding.encode(tagged, acceptsGzip: true).headers.first?.value == "\"abc-gzip\"")
        #expect(WebPage.matches("\"abc-gzip\"", etag: "\"abc\"") && WebPage.matches("W/\"abc\"", etag: "\"abc\""))
        #expect(!WebPage.matches("\"abd-gzip\"", etag: "\"abc\""))
    }
}

/// Against a server in this process, over real sockets.
@Suite("gzip over HTTP", .timeLimit(.minutes(1)))
struct GzipHTTPTests {
    static let limit = 64 * 1024
    static let graph = Array(#"{"tensors": {"x": {"shape": [2000], "init": {"name": "ones"}}}, "ops": [{"id": "y", "op": "exp", "inputs": ["x"]}]}"#.utf8)

    static func start() throws -> (HTTPServer, Int) {
        let server = HTTPServer(configuration: ServerConfiguration(host: "127.0.0.1", port: 0, maxBodyBytes: limit, maxInflight: 2))
        return (server, try server.start())
    }

    static func post(_ port: Int, _ body: [UInt8], _ headers: [(String, String)]) throws -> HTTPResponse {
        try HTTP.request(port: port, method: "POST", path: "/forward",
                         headers: [("Content-Type", "application/json")] + headers, body: body)
    }

    @Test func gzipBodiesAreComputedLikePlainOnes() throws {
        let (server, port) = try Self.start()
        defer { server.stop() }
        let expected = GraphService().respond(to: .forward, body: Self.graph)
        let gz = try #require(Gzip.compress(Self.graph, level: 6))
        expectSame(try Self.post(port, gz, [("Content-Encoding", "gzip")]), expected)
        expectSame(try Self.post(port, gz, [("Content-Encoding", "x-gzip")]), expected)
        expectSame(try Self.post(port, Self.graph, [("Content-Encoding", "identity")]), expected)
        let chunks = stride(from: 0, to: gz.count, by: 5).map { Array(gz[$0..<min(gz.count, $0 + 5)]) }
        let connection = try RawHTTPConnection(port: port)
        connection.send("POST /forward HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n")
        for chunk in chunks { connection.send(Array((String(chunk.count, radix: 16) + "\r\n").utf8) + chunk + Array("\r\n".utf8)) }
        connection.send("0\r\n\r\n")
        expectSame(try connection.readResponse(), expected)
    }

    @Test func bombsCorruptAndUnsupportedCodingsAreProblems() throws {
        let (server, port) = try Self.start()
        defer { server.stop() }
        // 1 MiB of spaces in a 1 KiB gzip: small on the wire, 16x the limit inflated.
        let bomb = try #require(Gzip.compress([UInt8](repeating: 0x20, count: 1 << 20), level: 9))
        let tooLarge = try Self.post(port, bomb, [("Content-Encoding", "gzip")])
        #expect(bomb.count < Self.limit && tooLarge.status == 413)
        #expect(tooLarge.header("Content-Type") == "application/problem+json")
        #expect(tooLarge.bodyText.contains("once inflated"))
        var corrupt = try #require(Gzip.compress(Self.graph, level: 6))
        corrupt[corrupt.count - 6] ^= 0xff
        let bad = try Self.post(port, corrupt, [("Content-Encoding", "gzip")])
        #expect(bad.status == 400 && bad.header("Content-Type") == "application/problem+json")
        #expect(bad.bodyText.contains("not valid gzip") && bad.bodyText.contains("incorrect data check"))
        let truncated = try Self.post(port, Array(corrupt.prefix(20)), [("Content-Encoding", "gzip")])
        #expect(truncated.status == 400 && truncated.bodyText.contains("truncated"))
        let plain = try Self.post(port, Self.graph, [("Content-Encoding", "gzip")])
        #expect(plain.status == 400 && plain.bodyText.contains("incorrect header check"))
        for coding in ["br", "deflate", "x-foo", "gzip, gzip"] {
            let refused = try Self.post(port, Self.graph, [("Content-Encoding", coding)])
            #expect(refused.status == 415, "Content-Encoding: \(coding)")
            #expect(refused.header("Accept-Encoding") == "gzip, identity")
            #expect(refused.header("Content-Type") == "application/problem+json")
        }
        let twice = try Self.post(port, Self.graph, [("Content-Encoding", "gzip"), ("Content-Encoding", "gzip")])
        #expect(twice.status == 415)
    }

    @Test func largeAnswersAreCompressedForClientsThatAsk() throws {
        let (server, port) = try Self.start()
        defer { server.stop() }
        let expected = GraphService().respond(to: .forward, body: Self.graph)
        #expect(expected.body.count > ContentCoding.minimumCompressedBytes)
        let coded = try Self.post(port, Self.graph, [("Accept-Encoding", "gzip, deflate")])
        #expect(coded.status == 200 && coded.header("Content-Encoding") == "gzip")
        #expect(coded.header("Vary") == "Accept-Encoding")
        #expect(coded.body.count < expected.body.count / 4)
        #expect(try inflate(coded.body).get() == expected.body)
        let again = try Self.post(port, Self.graph, [("Accept-Encoding", "gzip")])
        #expect(again.body == coded.body)  // deterministic
        for refusal in ["gzip;q=0", "identity", "br"] {
            let plain = try Self.post(port, Self.graph, [("Accept-Encoding", refusal)])
            #expect(plain.header("Content-Encoding") == nil && plain.body == expected.body, "\(refusal)")
            #expect(plain.header("Vary") == "Accept-Encoding")
        }
        let small = try HTTP.request(port: port, method: "GET", path: "/healthz", headers: [("Accept-Encoding", "gzip")])
        #expect(small.header("Content-Encoding") == nil && small.bodyText == #"{"status":"ok"}"#)
        let ops = try HTTP.request(port: port, method: "GET", path: "/ops", headers: [("Accept-Encoding", "*")])
        #expect(ops.header("Content-Encoding") == "gzip")
        #expect(try inflate(ops.body).get() == GraphService().operations().body)
    }
}

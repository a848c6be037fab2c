import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A parsed HTTP/1.1 response.
struct HTTPResponse {
    var status: Int
    var headers: [(name: String, value: String)]
    var body: [UInt8]

    func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    var bodyText: String { String(decoding: body, as: UTF8.self) }
}

struct ClientError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// A tiny blocking HTTP/1.1 client over a POSIX socket, for full control of what goes on
/// the wire (partial bodies, chunked uploads, no body at all). Every socket operation has
/// a timeout, so a server that never answers fails the test instead of hanging it.
final class RawHTTPConnection {
    private let fd: Int32
    private var buffer: [UInt8] = []

    /// `source`: a local IPv4 address to connect from (e.g. `127.0.0.2`, to look like
    /// another client to per-IP limits).
    init(port: Int, timeoutSeconds: Int = 5, source: String? = nil) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw ClientError("socket: errno \(errno)") }
        var tv = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        if let source {
            var local = sockaddr_in()
            local.sin_family = sa_family_t(AF_INET)
            local.sin_addr.s_addr = inet_addr(source)
            let bound = withUnsafePointer(to: &local) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard bound == 0 else {
                let code = errno
                throw ClientError("bind to \(source): errno \(code)")
            }
        }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard rc == 0 else {
            let code = errno
            throw ClientError("connect to port \(port): errno \(code)")
        }
    }

    // The only close: a class initializer that throws once every stored property is set
    // still runs deinit, so closing before those throws as well closed the descriptor twice,
    // and in a parallel run the second close could hit another test's newly opened socket
    // (seen as `recv: errno 9` in LiveGraphTests).
    deinit { close(fd) }

    /// True if the server closed (or reset) the connection within `seconds`, having sent
    /// nothing or anything; false if it is still open and silent then.
    func isClosedByServer(within seconds: Double) -> Bool {
        let deadline = Date(timeIntervalSinceNow: seconds)
        var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        while Date() < deadline {
            let ms = Int32(max(1, deadline.timeIntervalSinceNow * 1000))
            guard poll(&pfd, 1, ms) > 0 else { continue }
            var chunk = [UInt8](repeating: 0, count: 4096)
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
            if n == 0 { return true }
            if n < 0 { if errno == EAGAIN || errno == EINTR { continue }; return true }
            buffer.append(contentsOf: chunk[0..<n])
        }
        return false
    }

    /// Whatever the server sent so far (after `isClosedByServer`).
    var received: String { String(decoding: buffer, as: UTF8.self) }

    /// Sends all bytes; false if the peer closed or reset (expected after an early answer).
    @discardableResult
    func send(_ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { raw in
                Glibc.send(fd, raw.baseAddress! + offset, raw.count - offset, Int32(MSG_NOSIGNAL))
            }
            if n <= 0 { return false }
            offset += n
        }
        return true
    }

    @discardableResult
    func send(_ text: String) -> Bool { send(Array(text.utf8)) }

    /// Reads one complete response, skipping interim 1xx responses.
    func readResponse() throws -> HTTPResponse {
        while true {
            let response = try readOne()
            if !(100...199).contains(response.status) { return response }
        }
    }

    private func fill() throws -> Bool {
        var chunk = [UInt8](repeating: 0, count: 65536)
        let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if n < 0 {
            let code = errno
            if code == EAGAIN || code == EWOULDBLOCK { throw ClientError("timed out waiting for the server") }
            if code == ECONNRESET { return false }
            throw ClientError("recv: errno \(code)")
        }
        if n == 0 { return false }
        buffer.append(contentsOf: chunk[0..<n])
        return true
    }

    private func readLine() throws -> String {
        while true {
            if let i = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                var line = Array(buffer[..<i])
                buffer.removeFirst(i + 1)
                if line.last == UInt8(ascii: "\r") { line.removeLast() }
                return String(decoding: line, as: UTF8.self)
            }
            guard try fill() else { throw ClientError("connection closed mid-line") }
        }
    }

    private func readBytes(_ count: Int) throws -> [UInt8] {
        while buffer.count < count {
            guard try fill() else { throw ClientError("connection closed mid-body") }
        }
        let out = Array(buffer[..<count])
        buffer.removeFirst(count)
        return out
    }

    private func readOne() throws -> HTTPResponse {
        let statusLine = try readLine()
        let parts = statusLine.split(separator: " ", maxSplits: 2)
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/1."), let status = Int(parts[1]) else {
            throw ClientError("bad status line '\(statusLine)'")
        }
        var headers: [(name: String, value: String)] = []
        while true {
            let line = try readLine()
            if line.isEmpty { break }
            guard let colon = line.firstIndex(of: ":") else { throw ClientError("bad header '\(line)'") }
            headers.append((String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)))
        }
        var response = HTTPResponse(status: status, headers: headers, body: [])
        if (100...199).contains(status) || status == 204 || status == 304 { return response }
        if response.header("Transfer-Encoding")?.lowercased().contains("chunked") == true {
            while true {
                let sizeLine = try readLine()
                guard let size = Int(sizeLine.split(separator: ";")[0].trimmingCharacters(in: .whitespaces), radix: 16)
                else { throw ClientError("bad chunk size '\(sizeLine)'") }
                if size == 0 {
                    while try !readLine().isEmpty {}
                    break
                }
                response.body += try readBytes(size)
                _ = try readLine()
            }
        } else if let length = response.header("Content-Length").flatMap({ Int($0) }) {
            response.body = try readBytes(length)
        } else {
            while try fill() {}
            response.body = buffer
            buffer = []
        }
        return response
    }

    /// Reads a response to a HEAD request (headers only, whatever Content-Length says).
    func readHeadResponse() throws -> HTTPResponse {
        let statusLine = try readLine()
        let parts = statusLine.split(separator: " ", maxSplits: 2)
        guard parts.count >= 2, let status = Int(parts[1]) else { throw ClientError("bad status line '\(statusLine)'") }
        var headers: [(name: String, value: String)] = []
        while true {
            let line = try readLine()
            if line.isEmpty { break }
            if let colon = line.firstIndex(of: ":") {
                headers.append((String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)))
            }
        }
        return HTTPResponse(status: status, headers: headers, body: [])
    }
}

/// One-shot requests.
enum HTTP {
    /// `timeoutSeconds` bounds each wait for the server's bytes: long computations in a
    /// debug build on a loaded machine (a CNN trained through /train) need more than 5 s.
    static func request(
        port: Int, method: String, path: String, headers: [(String, String)] = [], body: [UInt8]? = nil,
        timeoutSeconds: Int = 5
    ) throws -> HTTPResponse {
        let connection = try RawHTTPConnection(port: port, timeoutSeconds: timeoutSeconds)
        var head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        if let body { head += "Content-Length: \(body.count)\r\n" }
        head += "\r\n"
        connection.send(Array(head.utf8) + (body ?? []))
        return method == "HEAD" ? try connection.readHeadResponse() : try connection.readResponse()
    }

    static func postJSON(
        port: Int, path: String, body: [UInt8], contentType: String = "application/json", timeoutSeconds: Int = 5
    ) throws -> HTTPResponse {
        try request(port: port, method: "POST", path: path, headers: [("Content-Type", contentType)], body: body, timeoutSeconds: timeoutSeconds)
    }

    /// A chunked upload; with `finish: false` the terminating chunk is never sent, so an
    /// answer can only come from the server deciding before the body ends.
    static func chunkedPost(port: Int, path: String, chunks: [[UInt8]], finish: Bool = true) throws -> HTTPResponse {
        let connection = try RawHTTPConnection(port: port)
        connection.send("POST \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n")
        for chunk in chunks {
            guard connection.send(Array((String(chunk.count, radix: 16) + "\r\n").utf8) + chunk + Array("\r\n".utf8)) else { break }
        }
        if finish { connection.send("0\r\n\r\n") }
        return try connection.readResponse()
    }
}

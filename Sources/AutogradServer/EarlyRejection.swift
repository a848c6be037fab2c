import AutogradGraph
import CMicroHTTPD
import Dispatch

#if canImport(Glibc)
import Glibc
#endif

/// Answers a request before its body has been read (401, 404, 405, 413, 415, a framing 400,
/// 503 while stopping) so that every client reads the answer, the way nginx's lingering
/// close does.
///
/// libmicrohttpd 0.9.75, given a response before the body, sends it and closes the socket
/// with the body still unread; the kernel then resets the connection, and a client that
/// writes its whole body before reading (Python's `http.client`, Node's `fetch`, Java's
/// `HttpURLConnection`) gets a broken pipe instead of the answer. So instead:
///
/// - `Expect: 100-continue`: the client waits before sending the body, so MHD answers at
///   once, sends no `100 Continue`, and reads no body byte.
/// - Plain HTTP: the answer is written to the socket directly (MHD has nothing in flight
///   there), the socket is half-closed (`shutdown(SHUT_WR)`: the client sees the answer
///   end), and the body is read and dropped in the access handler until it ends or a bound
///   of `Linger` passes; then the access handler returns MHD_NO and MHD closes. The client
///   finds the answer waiting once it has sent its body.
/// - TLS (the bytes would have to be encrypted), or a socket that will not take the answer
///   at once: the body is dropped first and the answer queued through MHD at its end (the
///   connection then stays open); past a bound the connection is closed unanswered.
enum EarlyRejection {
    /// The bounds on reading a refused body, from `ServerConfiguration`.
    struct Linger: Sendable {
        /// Seconds of silence from the client (MHD's per-connection timeout).
        var timeoutSeconds = 5
        /// Seconds in all, from the answer.
        var timeSeconds: Double = 30
        /// Body bytes dropped.
        var bytes = 64 << 20

        init(timeoutSeconds: Int = 5, timeSeconds: Double = 30, bytes: Int = 64 << 20) {
            self.timeoutSeconds = timeoutSeconds
            self.timeSeconds = timeSeconds
            self.bytes = bytes
        }

        init(_ configuration: ServerConfiguration) {
            self.init(
                timeoutSeconds: configuration.lingerTimeoutSeconds, timeSeconds: configuration.lingerTimeSeconds,
                bytes: configuration.lingerBytes)
        }

        /// Still within the bounds after `dropped` bytes, `since` the answer.
        func allows(dropped: Int, since: DispatchTime) -> Bool {
            dropped <= bytes
                && Double(DispatchTime.now().uptimeNanoseconds &- since.uptimeNanoseconds) <= timeSeconds * 1e9
        }
    }

    /// The response as HTTP/1.1 bytes, with `Connection: close`.
    static func wireBytes(_ response: Response, extraHeaders: [(name: String, value: String)] = []) -> [UInt8] {
        var head = "HTTP/1.1 \(response.status) \(reasonPhrase(response.status))\r\n"
        head += "Connection: close\r\n"
        head += "Content-Type: \(response.contentType)\r\n"
        for header in response.headers + extraHeaders
        where header.name.lowercased() != "connection"
            && !header.name.contains(where: \.isNewline) && !header.value.contains(where: \.isNewline) {
            head += "\(header.name): \(header.value)\r\n"
        }
        head += "Content-Length: \(response.body.count)\r\n\r\n"
        return Array(head.utf8) + response.body
    }

    /// Writes `bytes` to the connection's socket without blocking, then half-closes it;
    /// true if all of it went (nothing is half-closed otherwise).
    static func writeAndHalfClose(_ bytes: [UInt8], to connection: OpaquePointer) -> Bool {
        let fd = cmhd_connection_fd(connection)
        guard fd >= 0 else { return false }
        let sent = bytes.withUnsafeBytes { raw -> Bool in
            guard let base = raw.baseAddress else { return true }
            var offset = 0
            while offset < raw.count {
                let sent = send(fd, base + offset, raw.count - offset, Int32(MSG_NOSIGNAL | MSG_DONTWAIT))
                if sent > 0 {
                    offset += sent
                } else if sent < 0 && errno == EINTR {
                    continue
                } else {
                    return false
                }
            }
            return true
        }
        if sent { shutdown(fd, Int32(SHUT_WR)) }
        return sent
    }

    static func reasonPhrase(_ status: Int) -> String {
        switch status {
        case 400: return "Bad Request"
        case 401: return "Unauthorized"
        case 404: return "Not Found"
        case 405: return "Method Not Allowed"
        case 408: return "Request Timeout"
        case 413: return "Content Too Large"
        case 414: return "URI Too Long"
        case 415: return "Unsupported Media Type"
        case 422: return "Unprocessable Content"
        case 431: return "Request Header Fields Too Large"
        case 500: return "Internal Server Error"
        case 501: return "Not Implemented"
        case 503: return "Service Unavailable"
        case 505: return "HTTP Version Not Supported"
        default: return "Error"
        }
    }
}

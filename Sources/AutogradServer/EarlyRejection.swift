import AutogradGraph
import CMicroHTTPD

#if canImport(Glibc)
import Glibc
#endif

/// Answers a request whose body is still arriving, which libmicrohttpd 0.9.75 cannot do:
/// MHD_queue_response fails until the whole body is read, so a chunked upload over the
/// limit would otherwise be read to its end (forever, for an endless one) before its 413.
/// Instead the response is written to the socket directly (MHD has nothing else in flight
/// there: any `100 Continue` went out before the body), the rest of the body is read and
/// dropped for a bounded number of bytes so the client sees the answer rather than a reset,
/// and the connection is then closed by returning MHD_NO from the access handler.
enum EarlyRejection {
    /// Body bytes still read and dropped after the answer, before closing regardless.
    static let lingerBytes = 1 << 20

    /// The response as HTTP/1.1 bytes, with `Connection: close`.
    static func wireBytes(_ response: Response) -> [UInt8] {
        var head = "HTTP/1.1 \(response.status) \(reasonPhrase(response.status))\r\n"
        head += "Connection: close\r\n"
        head += "Content-Type: \(response.contentType)\r\n"
        for header in response.headers where !header.name.contains(where: \.isNewline) && !header.value.contains(where: \.isNewline) {
            head += "\(header.name): \(header.value)\r\n"
        }
        head += "Content-Length: \(response.body.count)\r\n\r\n"
        return Array(head.utf8) + response.body
    }

    /// Writes `response` to the connection's socket without blocking; true if all of it went.
    static func write(_ response: Response, to connection: OpaquePointer) -> Bool {
        let fd = cmhd_connection_fd(connection)
        guard fd >= 0 else { return false }
        let bytes = wireBytes(response)
        return bytes.withUnsafeBytes { raw -> Bool in
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
    }

    static func reasonPhrase(_ status: Int) -> String {
        switch status {
        case 400: return "Bad Request"
        case 408: return "Request Timeout"
        case 413: return "Content Too Large"
        case 503: return "Service Unavailable"
        default: return "Error"
        }
    }
}

import Foundation
import Logging

/// The one log line per request:
/// `request method=POST path=/backward status=200 bytes=57 ms=1.234`
/// (`status=-` when the connection ended before a response was queued).
enum RequestLog {
    static func line(method: String, path: String, status: Int?, bytes: Int, milliseconds: Double) -> String {
        let statusText = status.map(String.init) ?? "-"
        let ms = String(format: "%.3f", milliseconds)
        return "request method=\(sanitize(method)) path=\(sanitize(path)) status=\(statusText) bytes=\(bytes) ms=\(ms)"
    }

    /// Client-controlled text goes into the log one line, no spaces: control characters,
    /// spaces and non-ASCII become `%XX`.
    static func sanitize(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            if byte > 0x20 && byte < 0x7F && byte != UInt8(ascii: "%") {
                out.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                out += String(format: "%%%02X", byte)
            }
        }
        return out
    }
}

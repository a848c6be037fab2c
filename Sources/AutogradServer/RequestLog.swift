import CMicroHTTPD
import Foundation
import Logging

/// The one log line per request:
/// `request method=POST path=/backward status=200 bytes=57 ms=1.234`
/// (`status=-` when the connection ended before a response was queued), followed by
/// ` ended=REASON` when libmicrohttpd did not complete the exchange normally
/// (`error`, `timeout`, `shutdown`, `read-error`, `client-abort`), by ` id=REQUEST_ID`, and,
/// for a request answered before its body was read, by ` body=dropped dropped_bytes=N`
/// (the body bytes read and dropped after the answer).
/// With `--log-format json` the same fields are the metadata of a `request` message.
enum RequestLog {
    static func line(method: String, path: String, status: Int?, bytes: Int, milliseconds: Double, ending: String? = nil, requestID: String? = nil, dropped: Int? = nil) -> String {
        // Appended piece by piece into one reserved string: this runs once per request.
        var line = "request method="
        line.reserveCapacity(160)
        line += sanitize(method)
        line += " path="
        line += sanitize(path)
        line += " status="
        line += status.map(String.init) ?? "-"
        line += " bytes="
        line += String(bytes)
        line += " ms="
        line += threeDecimals(milliseconds)
        if let ending {
            line += " ended="
            line += ending
        }
        if let requestID {
            line += " id="
            line += sanitize(requestID)
        }
        if let dropped {
            line += " body=dropped dropped_bytes="
            line += String(dropped)
        }
        return line
    }

    /// `String(format: "%.3f", v)`, the same digits without a formatter per line. printf
    /// rounds the exact binary value of `v` to thousandths; below 10^9 thousandths,
    /// `v * 1000` is within 10^-7 of that exact product, so its nearest integer is the same
    /// rounding unless the product lies within 10^-6 of a half. Those few, and anything
    /// larger or non-finite, go through the C library's vsnprintf (the exact value decides).
    static func threeDecimals(_ v: Double) -> String {
        let scaled = (v * 1000).magnitude
        let whole = scaled.rounded(.down)
        if scaled < 1e9, (scaled - whole - 0.5).magnitude > 1e-6 {
            let thousandths = UInt64(scaled.rounded())
            let fraction = thousandths % 1000
            var text = v.sign == .minus ? "-" : ""
            text += String(thousandths / 1000)
            text += fraction < 10 ? ".00" : fraction < 100 ? ".0" : "."
            text += String(fraction)
            return text
        }
        var buffer = [CChar](repeating: 0, count: 512)
        let n = withVaList([v]) { vsnprintf(&buffer, buffer.count, "%.3f", $0) }
        guard n > 0, n < buffer.count else { return String(format: "%.3f", v) }
        return String(decoding: buffer[..<Int(n)].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The fields of `line` as log metadata (numbers as numbers), for `JSONLogHandler`.
    static func metadata(method: String, path: String, status: Int?, bytes: Int, milliseconds: Double, ending: String? = nil, requestID: String? = nil, dropped: Int? = nil) -> Logger.Metadata {
        var fields: Logger.Metadata = [
            "method": .string(sanitize(method)), "path": .string(sanitize(path)),
            "bytes": .stringConvertible(bytes), "ms": .stringConvertible((milliseconds * 1000).rounded() / 1000),
        ]
        fields["status"] = status.map { .stringConvertible($0) } ?? .string("-")
        if let ending { fields["ended"] = .string(ending) }
        if let requestID { fields["request_id"] = .string(sanitize(requestID)) }
        if let dropped {
            fields["body"] = .string("dropped")
            fields["dropped_bytes"] = .stringConvertible(dropped)
        }
        return fields
    }

    /// Why a request ended, or nil for a normal completion.
    static func ending(_ code: MHD_RequestTerminationCode) -> String? {
        switch code {
        case .REQUEST_TERMINATED_COMPLETED_OK: return nil
        case .REQUEST_TERMINATED_WITH_ERROR: return "error"
        case .REQUEST_TERMINATED_TIMEOUT_REACHED: return "timeout"
        case .REQUEST_TERMINATED_DAEMON_SHUTDOWN: return "shutdown"
        case .REQUEST_TERMINATED_READ_ERROR: return "read-error"
        case .REQUEST_TERMINATED_CLIENT_ABORT: return "client-abort"
        @unknown default: return "other"
        }
    }

    /// Client-controlled text goes into the log one line, no spaces: control characters,
    /// spaces and non-ASCII become `%XX`.
    static func sanitize(_ text: String) -> String {
        if text.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "%") }) { return text }
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

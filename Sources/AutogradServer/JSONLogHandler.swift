import AutogradGraph
import Foundation
import Logging
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// How the server writes its log: `text` (swift-log's `StreamLogHandler` lines) or `json`
/// (one JSON object per line, for log collectors: `--log-format json`).
public enum LogFormat: String, Sendable, CaseIterable {
    case text, json
}

/// One JSON object per line on standard error:
/// `{"time":"2026-11-28T02:42:49.123Z","level":"info","logger":"autograd-server","message":"request","method":"GET",...}`.
/// Metadata members follow the fixed ones, in key order; a member named like a fixed one
/// is prefixed with `meta_`. Request lines carry their fields as metadata (see
/// `RequestLog.metadata`), so `status`, `bytes` and `ms` arrive as numbers.
public struct JSONLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .info
    public let label: String
    private let write: @Sendable ([UInt8]) -> Void

    public static func standardError(label: String) -> JSONLogHandler {
        JSONLogHandler(label: label, write: { bytes in StandardErrorWriter.shared.write(bytes) })
    }

    /// With any sink (tests).
    public init(label: String, write: @escaping @Sendable ([UInt8]) -> Void) {
        self.label = label
        self.write = write
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var all = metadata
        if let extra = event.metadata { all.merge(extra) { _, new in new } }
        write(Self.line(time: Date(), level: event.level, label: label, message: "\(event.message)", metadata: all))
    }

    static let fixed: Set<String> = ["time", "level", "logger", "message"]

    /// One log line, newline included.
    public static func line(time: Date, level: Logger.Level, label: String, message: String, metadata: Logger.Metadata) -> [UInt8] {
        var w = JSONWriter(capacity: 256)
        w.raw("{\"time\":"); w.string(timestamp(time))
        w.raw(",\"level\":"); w.string(level.rawValue)
        w.raw(",\"logger\":"); w.string(label)
        w.raw(",\"message\":"); w.string(message)
        for key in metadata.keys.sorted() {
            guard let value = metadata[key] else { continue }
            w.raw(",")
            w.key(fixed.contains(key) ? "meta_" + key : key)
            write(value, &w)
        }
        w.raw("}\n")
        return w.bytes
    }

    /// `.stringConvertible` integers and finite doubles (`status`, `bytes`, `ms`) are
    /// written as JSON numbers, everything else as strings.
    private static func write(_ value: Logger.Metadata.Value, _ w: inout JSONWriter) {
        switch value {
        case .string(let s): w.string(s)
        case .stringConvertible(let c):
            if let i = c as? Int {
                w.int(i)
            } else if let d = c as? Double, d.isFinite {
                w.number(d)
            } else {
                w.string(c.description)
            }
        case .array(let items):
            w.raw("[")
            for (i, item) in items.enumerated() {
                if i > 0 { w.raw(",") }
                write(item, &w)
            }
            w.raw("]")
        case .dictionary(let members):
            w.raw("{")
            for (i, member) in members.sorted(by: { $0.key < $1.key }).enumerated() {
                if i > 0 { w.raw(",") }
                w.key(member.key)
                write(member.value, &w)
            }
            w.raw("}")
        }
    }

    /// RFC 3339 in UTC with milliseconds. The date and time up to the second are made once
    /// per second (cached), the milliseconds appended: no formatter per line.
    static func timestamp(_ date: Date) -> String {
        let seconds = date.timeIntervalSince1970
        let whole = seconds.rounded(.down)
        let millis = Int(((seconds - whole) * 1000).rounded(.down))
        guard whole.isFinite, whole.magnitude < 1e15 else { return formatted(seconds) }
        let t = time_t(whole)
        let prefix: String
        if let cached = secondCache.withLock({ $0.second == t ? $0.prefix : nil }) {
            prefix = cached
        } else {
            var copy = t
            var parts = tm()
            gmtime_r(&copy, &parts)
            var text = ""
            text.reserveCapacity(24)
            let year = Int(parts.tm_year) + 1900
            guard (0...9999).contains(year) else { return formatted(seconds) }
            text += String(year / 1000) + String(year / 100 % 10) + String(year / 10 % 10) + String(year % 10)
            for (separator, value) in [("-", Int(parts.tm_mon) + 1), ("-", Int(parts.tm_mday)), ("T", Int(parts.tm_hour)),
                                       (":", Int(parts.tm_min)), (":", Int(parts.tm_sec))] {
                text += separator
                text += String(value / 10) + String(value % 10)
            }
            text += "."
            prefix = text
            secondCache.withLock { $0 = (t, text) }
        }
        let m = min(max(millis, 0), 999)
        return prefix + String(m / 100) + String(m / 10 % 10) + String(m % 10) + "Z"
    }

    private static let secondCache = Mutex<(second: time_t, prefix: String)>((time_t.min, ""))

    /// The general form (years outside 0...9999, non-finite dates).
    private static func formatted(_ seconds: Double) -> String {
        var t = time_t(seconds.rounded(.down).isFinite ? seconds.rounded(.down) : 0)
        var parts = tm()
        gmtime_r(&t, &parts)
        let millis = Int(((seconds - seconds.rounded(.down)) * 1000).rounded(.down))
        return String(
            format: "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1,
            Int(parts.tm_mday), Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec), millis)
    }
}

/// Whole lines to standard error, one writer at a time.
final class StandardErrorWriter: @unchecked Sendable {
    static let shared = StandardErrorWriter()
    private let lock = NSLock()

    func write(_ bytes: [UInt8]) {
        lock.lock()
        defer { lock.unlock() }
        bytes.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = Glibc.write(2, raw.baseAddress! + offset, raw.count - offset)
                if n > 0 { offset += n } else if n < 0 && errno == EINTR { continue } else { return }
            }
        }
    }
}

import Logging
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The text log (`--log-format text`, the default): swift-log's `StreamLogHandler` lines,
/// byte for byte —
/// `2026-11-28T05:02:11+0000 info autograd-server: [AutogradServer] request method=GET ...`
/// (local time, then level, label, sorted `key=value` metadata if any, source, message) —
/// written without its per-line costs: `StreamLogHandler` calls `localtime` (which stats
/// /etc/localtime) and `strftime` for every line and formats through string
/// interpolation; this one formats the timestamp once a second and writes each line with
/// one write(2), as `StreamLogHandler`'s fwrite + fflush of unbuffered stderr does.
public struct TextLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .info
    public var metadataProvider: Logger.MetadataProvider?
    public let label: String
    private let write: @Sendable ([UInt8]) -> Void

    public static func standardError(label: String) -> TextLogHandler {
        TextLogHandler(label: label, metadataProvider: LoggingSystem.metadataProvider, write: { StandardErrorWriter.shared.write($0) })
    }

    /// With any sink (tests).
    public init(label: String, metadataProvider: Logger.MetadataProvider? = nil, write: @escaping @Sendable ([UInt8]) -> Void) {
        self.label = label
        self.metadataProvider = metadataProvider
        self.write = write
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        write(Self.line(
            timestamp: Self.timestamp(), level: event.level, label: label, metadata: effectiveMetadata(event),
            source: event.source, message: event.message.description))
    }

    /// `StreamLogHandler`'s merge: the handler's metadata, then the provider's, then the
    /// event's, then the error's description and type.
    private func effectiveMetadata(_ event: LogEvent) -> Logger.Metadata {
        var all = metadata
        if let provided = metadataProvider?.get(), !provided.isEmpty { all.merge(provided) { _, new in new } }
        if let explicit = event.metadata, !explicit.isEmpty { all.merge(explicit) { _, new in new } }
        if let error = event.error {
            all["error.message"] = "\(error)"
            all["error.type"] = "\(String(reflecting: type(of: error)))"
        }
        return all
    }

    /// One line, newline included.
    public static func line(
        timestamp: String, level: Logger.Level, label: String, metadata: Logger.Metadata, source: String, message: String
    ) -> [UInt8] {
        var line = timestamp
        line.reserveCapacity(timestamp.utf8.count + message.utf8.count + 64)
        line += " "
        line += level.rawValue
        if !label.isEmpty {
            line += " "
            line += label
        }
        line += ":"
        if !metadata.isEmpty {
            line += " "
            line += metadata.sorted(by: { $0.key < $1.key }).map { "\($0)=\($1)" }.joined(separator: " ")
        }
        line += " ["
        line += source
        line += "] "
        line += message
        line += "\n"
        return Array(line.utf8)
    }

    /// `strftime("%Y-%m-%dT%H:%M:%S%z")` of the local time, made once per second.
    static func timestamp() -> String {
        var now = time(nil)
        if let cached = cache.withLock({ $0.second == now ? $0.text : nil }) { return cached }
        var parts = tm()
        guard localtime_r(&now, &parts) != nil else { return "<unknown>" }
        var buffer = [CChar](repeating: 0, count: 64)
        let n = strftime(&buffer, buffer.count, "%Y-%m-%dT%H:%M:%S%z", &parts)
        let text = String(decoding: buffer.prefix(n).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        cache.withLock { $0 = (now, text) }
        return text
    }

    private static let cache = Mutex<(second: time_t, text: String)>((-1, ""))
}

import Foundation

/// Everything the HTTP server needs to know before it starts.
public struct ServerConfiguration: Sendable, Equatable {
    /// Numeric IPv4 or IPv6 address to bind (no host names: binding is explicit).
    public var host: String
    /// TCP port; 0 asks the kernel for a free one (`HTTPServer.start()` returns it).
    public var port: Int
    /// Largest accepted request body; a larger one is answered 413 without being buffered.
    public var maxBodyBytes: Int
    /// How many `GraphService.respond` calls may run at once; more wait in FIFO order.
    public var maxInflight: Int
    /// Idle seconds before libmicrohttpd closes a connection (suspended ones never time out).
    public var connectionTimeoutSeconds: Int
    /// On `stop()`, how long to wait for answered requests to finish sending.
    public var shutdownGracePeriodSeconds: Double

    /// `X-Served-By` of every answer; nil: `HOSTNAME:PORT`.
    public var instanceID: String?
    /// The request log line as text or as JSON metadata (`JSONLogHandler`).
    public var logFormat = LogFormat.text

    public static let defaultMaxBodyBytes = 64 << 20

    public init(
        host: String = "127.0.0.1",
        port: Int = 8080,
        maxBodyBytes: Int = ServerConfiguration.defaultMaxBodyBytes,
        maxInflight: Int = ProcessInfo.processInfo.activeProcessorCount,
        connectionTimeoutSeconds: Int = 30,
        shutdownGracePeriodSeconds: Double = 10
    ) {
        self.host = host
        self.port = port
        self.maxBodyBytes = maxBodyBytes
        self.maxInflight = maxInflight
        self.connectionTimeoutSeconds = connectionTimeoutSeconds
        self.shutdownGracePeriodSeconds = shutdownGracePeriodSeconds
    }

    /// The configuration problems `HTTPServer.start()` would refuse, as readable sentences.
    public func validationErrors() -> [String] {
        var errors: [String] = []
        if !(0...65535).contains(port) { errors.append("port must be in 0...65535, got \(port)") }
        if maxBodyBytes < 0 { errors.append("max body bytes must be >= 0, got \(maxBodyBytes)") }
        if maxInflight < 1 { errors.append("max inflight must be >= 1, got \(maxInflight)") }
        if !(0...Int(UInt32.max)).contains(connectionTimeoutSeconds) {
            errors.append("connection timeout must be >= 0 seconds, got \(connectionTimeoutSeconds)")
        }
        if !NumericAddress.isValid(host) { errors.append("host must be a numeric IPv4 or IPv6 address, got '\(host)'") }
        return errors
    }
}

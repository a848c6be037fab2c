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
    /// On `stop()`, how long to wait in all for running and queued computations to be
    /// answered and their answers sent.
    public var drainTimeoutSeconds: Double
    /// Computations waiting for a slot beyond `maxInflight`; past it a request gets 503
    /// with `Retry-After` at once. Large, so that a client library's burst of small
    /// requests waits rather than fails; `maxQueueBytes` bounds the memory.
    public var maxQueue = 4096
    /// Request body bytes of the computations waiting, at most; a request that would take
    /// the queue past it gets 503 with `Retry-After` at once (a request larger than this
    /// waits only when the queue is empty).
    public var maxQueueBytes = 256 << 20
    /// Plain HTTP: accept connections through `HeaderGate`, which answers a first request
    /// libmicrohttpd would refuse in HTML (malformed `Content-Length`, 414, 431, 505) as one
    /// problem. On by default; `false` lets libmicrohttpd accept connections itself.
    public var headerGate = true
    /// Origins whose browser pages may call the service (`CORSPolicy`): exact
    /// `scheme://host[:port]` origins, or `*`. Empty: no CORS headers, preflights 405.
    public var corsOrigins: [String] = []
    /// Connections at once (MHD_OPTION_CONNECTION_LIMIT); more are closed on accept.
    public var maxConnections = 1000
    /// Connections at once from one IP address (0: no limit; behind a proxy every
    /// client shares its address).
    public var maxConnectionsPerIP = 0
    /// Seconds a connection may take from being accepted (or finishing its last request)
    /// to having sent a whole request, headers and body; over it the connection is closed
    /// (`SlowClientSweeper`). 0: no limit. Catches clients trickling bytes, which the
    /// inactivity timeout cannot.
    public var requestReadTimeoutSeconds: Double = 60
    /// After an answer sent before the request's body was read (401, 413, ...), the rest of
    /// the body is read and dropped so that the client can read the answer rather than a
    /// reset (nginx's lingering close): until the body ends, or `lingerBytes` have been
    /// dropped, or `lingerTimeSeconds` have passed, or the client is silent for
    /// `lingerTimeoutSeconds`; then the connection is closed.
    public var lingerTimeoutSeconds = 5
    public var lingerTimeSeconds: Double = 30
    public var lingerBytes = 64 << 20
    /// If set, every route but /healthz requires `Authorization: Bearer <apiKey>`.
    public var apiKey: String?
    /// PEM certificate chain and private key; both set serves HTTPS only.
    public var tlsCertificatePEM: String?
    public var tlsKeyPEM: String?

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
        drainTimeoutSeconds: Double = 30
    ) {
        self.host = host
        self.port = port
        self.maxBodyBytes = maxBodyBytes
        self.maxInflight = maxInflight
        self.connectionTimeoutSeconds = connectionTimeoutSeconds
        self.drainTimeoutSeconds = drainTimeoutSeconds
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
        if maxQueue < 0 { errors.append("max queue must be >= 0, got \(maxQueue)") }
        if maxQueueBytes < 0 { errors.append("max queue bytes must be >= 0, got \(maxQueueBytes)") }
        errors += corsOrigins.compactMap(CORSPolicy.problem(with:))
        if !(1...Int(UInt32.max)).contains(maxConnections) {
            errors.append("max connections must be >= 1, got \(maxConnections)")
        }
        if !(0...Int(UInt32.max)).contains(maxConnectionsPerIP) {
            errors.append("max connections per IP must be >= 0, got \(maxConnectionsPerIP)")
        }
        if !(requestReadTimeoutSeconds >= 0) || !requestReadTimeoutSeconds.isFinite {
            errors.append("request read timeout must be >= 0 seconds, got \(requestReadTimeoutSeconds)")
        }
        if !(1...Int(UInt32.max)).contains(lingerTimeoutSeconds) {
            errors.append("linger timeout must be >= 1 second, got \(lingerTimeoutSeconds)")
        }
        if !(lingerTimeSeconds >= 0) || !lingerTimeSeconds.isFinite {
            errors.append("linger time must be >= 0 seconds, got \(lingerTimeSeconds)")
        }
        if lingerBytes < 0 { errors.append("linger bytes must be >= 0, got \(lingerBytes)") }
        if !(drainTimeoutSeconds >= 0) || !drainTimeoutSeconds.isFinite {
            errors.append("drain timeout must be >= 0 seconds, got \(drainTimeoutSeconds)")
        }
        if let apiKey, apiKey.isEmpty || apiKey.contains(where: { $0.isWhitespace }) {
            errors.append("API key must be non-empty and without whitespace")
        }
        if (tlsCertificatePEM == nil) != (tlsKeyPEM == nil) {
            errors.append("TLS needs both a certificate and a key")
        }
        if !NumericAddress.isValid(host) { errors.append("host must be a numeric IPv4 or IPv6 address, got '\(host)'") }
        return errors
    }
}

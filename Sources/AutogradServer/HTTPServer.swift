import AutogradGraph
import CMicroHTTPD
import Foundation
import Logging

#if canImport(Glibc)
import Glibc
#endif

/// The HTTP front of `GraphService` on libmicrohttpd: `start()` binds and serves from
/// MHD's internal polling thread, `stop()` drains in-flight computations and stops.
///
/// `@unchecked Sendable`: `daemon` and `boundPort` are guarded by `lock`; `start`/`stop`
/// may be called from any thread.
public final class HTTPServer: @unchecked Sendable {
    public let configuration: ServerConfiguration
    private let handler: RequestHandler
    private let logger: Logger
    private let lock = NSLock()
    private var daemon: OpaquePointer?
    private var boundPort: Int?
    /// Handed to MHD for its error log; freed in deinit, after the daemon is gone.
    private let logTarget: UnsafeMutablePointer<cmhd_log_target>
    /// Closes connections slower than `requestReadTimeoutSeconds` to send a request.
    private let sweeper: SlowClientSweeper?
    /// Plain HTTP: accepts connections and checks each first header block (`HeaderGate`).
    private var gate: HeaderGate?
    /// Connection notifications: the sweeper's, and over TLS the request checks.
    private let watch: ConnectionWatch
    /// PEM text MHD reads during start (kept for the daemon's lifetime, as MHD asks).
    private var tlsStrings: (key: UnsafeMutablePointer<CChar>, certificate: UnsafeMutablePointer<CChar>)?

    /// poll(2), not epoll: libmicrohttpd 0.9.75's epoll loop (`MHD_epoll`) drains events
    /// in batches of 128 and, after a full batch, waits again with the timeout it computed
    /// before the batch, so when a multiple of 128 connections become readable at once
    /// they sit unread until some other event or their idle timeout (tools/mhd_epoll_stall.c
    /// reproduces it; `make test-http` runs it). poll returns every ready socket at once.
    static let daemonFlags: UInt32 =
        MHD_USE_INTERNAL_POLLING_THREAD.rawValue | MHD_USE_POLL.rawValue
        | MHD_ALLOW_SUSPEND_RESUME.rawValue | MHD_USE_ERROR_LOG.rawValue

    /// `logger` gets the `listening on` line, one line per request and shutdown notes.
    public convenience init(
        configuration: ServerConfiguration, service: GraphService = GraphService(),
        logger: Logger = Logger(label: "autograd-server")
    ) {
        self.init(
            configuration: configuration, logger: logger,
            respond: { endpoint, body, arrived in service.respond(to: endpoint, taking: &body, since: arrived) },
            operations: { service.operations() })
    }

    /// A logger that drops everything (quiet tests).
    static var discardingLogger: Logger { Logger(label: "autograd-server", factory: { _ in SwiftLogNoOpLogHandler() }) }

    /// With any responder in place of `GraphService` (tests: slow or counting stand-ins).
    init(
        configuration: ServerConfiguration, logger: Logger, respond: @escaping RequestHandler.Responder,
        operations: @escaping @Sendable () -> Response = { GraphService().operations() }
    ) {
        self.configuration = configuration
        self.logger = logger
        let tls = configuration.tlsCertificatePEM != nil
        sweeper = configuration.requestReadTimeoutSeconds > 0
            ? SlowClientSweeper(limitSeconds: configuration.requestReadTimeoutSeconds, writesTimeoutAnswer: !tls, logger: logger)
            : nil
        self.handler = RequestHandler(
            respond: respond, operations: operations, maxBodyBytes: configuration.maxBodyBytes,
            maxInflight: configuration.maxInflight, logger: logger,
            maxQueue: configuration.maxQueue, maxQueueBytes: configuration.maxQueueBytes, apiKey: configuration.apiKey,
            metricsPublic: configuration.metricsPublic,
            whenIdle: configuration.releaseMemoryWhenIdle ? IdleMemoryRelease().callAsFunction : nil, cors: CORSPolicy(origins: configuration.corsOrigins), canWriteRaw: !tls, sweeper: sweeper,
            linger: EarlyRejection.Linger(configuration))
        handler.operability.logFormat = configuration.logFormat
        handler.operability.observe(load: { [limiter = handler.limiter] in limiter.load })
        watch = ConnectionWatch(sweeper: sweeper, tls: tls ? handler : nil)
        logTarget = .allocate(capacity: 1)
        logTarget.initialize(to: cmhd_log_target(fn: libraryLog, cls: Unmanaged.passUnretained(handler).toOpaque()))
    }

    deinit {
        stop()
        logTarget.deallocate()
        if let tlsStrings {
            free(tlsStrings.key)
            free(tlsStrings.certificate)
        }
    }

    /// Starting, ready once `start()` serves, draining once `beginDraining()` or `stop()`
    /// is called: what `GET /readyz` answers.
    public var readiness: Readiness { handler.operability.readiness }

    /// `GET /readyz` answers 503 from now on while requests are still served, so that a
    /// load balancer takes the instance out before `stop()`.
    public func beginDraining() { handler.operability.readiness.set(.draining) }

    /// The port being listened on, once started.
    public var port: Int? {
        lock.lock()
        defer { lock.unlock() }
        return boundPort
    }

    /// Binds and starts serving; returns the bound port (the kernel's pick for port 0) and
    /// logs `listening on http://HOST:PORT`.
    @discardableResult
    public func start() throws -> Int {
        let errors = configuration.validationErrors()
        guard errors.isEmpty else { throw ServerError.invalidConfiguration(errors) }
        lock.lock()
        defer { lock.unlock() }
        guard daemon == nil else { throw ServerError.alreadyStarted }
        let context = Unmanaged.passUnretained(handler).toOpaque()
        var options = cmhd_config()
        options.connection_timeout = UInt32(configuration.connectionTimeoutSeconds)
        options.connection_limit = UInt32(configuration.maxConnections)
        options.per_ip_connection_limit = UInt32(configuration.maxConnectionsPerIP)
        if let key = configuration.tlsKeyPEM, let certificate = configuration.tlsCertificatePEM {
            if tlsStrings == nil { tlsStrings = (strdup(key)!, strdup(certificate)!) }
            options.tls_key_pem = UnsafePointer(tlsStrings!.key)
            options.tls_cert_pem = UnsafePointer(tlsStrings!.certificate)
        }
        if sweeper != nil || watch.tls != nil {
            options.notify_connection = connectionNotify
            options.notify_connection_cls = Unmanaged.passUnretained(watch).toOpaque()
        }
        var flags = Self.daemonFlags
        var gate: HeaderGate?
        if configuration.tlsCertificatePEM == nil && configuration.headerGate {
            gate = try HeaderGate(
                host: configuration.host, port: configuration.port, handler: handler,
                maxConnections: configuration.maxConnections)
            flags |= MHD_USE_NO_LISTEN_SOCKET.rawValue
        }
        let started = cmhd_start(
            flags, configuration.host, gate == nil ? UInt16(configuration.port) : 0,
            accessHandler, context, requestCompleted, context, &options, logTarget)
        guard let started else {
            let error = errno
            gate?.stop()
            throw ServerError.startFailed(host: configuration.host, port: configuration.port, errno: error)
        }
        gate?.start(daemon: started)
        self.gate = gate
        let port = gate?.port ?? Int(cmhd_bound_port(started))
        daemon = started
        boundPort = port
        handler.operability.instanceID = configuration.instanceID ?? Operability.defaultInstanceID(port: port)
        handler.operability.readiness.set(.ready)
        sweeper?.start()
        let scheme = configuration.tlsCertificatePEM == nil ? "http" : "https"
        logger.info("listening on \(scheme)://\(NumericAddress.authority(host: configuration.host, port: port))")
        return port
    }

    /// Graceful stop: no new connections (MHD_quiesce_daemon closes the listening socket,
    /// so connecting is refused) and no new computations (503); running and queued
    /// computations finish and their answers are sent, up to `drainTimeoutSeconds` in all;
    /// then MHD_stop_daemon. Idempotent. Returns false if the drain timeout passed with
    /// computations still running: their connections are suspended, which MHD_stop_daemon
    /// cannot handle, so the daemon is left as it is and the process should exit.
    @discardableResult
    public func stop() -> Bool {
        lock.lock()
        defer { lock.unlock() }
        guard let daemon else { return true }
        handler.operability.readiness.set(.draining)
        handler.shutdown.stopAccepting()
        if let gate {
            gate.stop()
        } else {
            let listenSocket = MHD_quiesce_daemon(daemon)
            if listenSocket >= 0 { close(listenSocket) }
        }
        let (running, waiting) = handler.limiter.load
        logger.info("stopping: draining \(running) running and \(waiting) queued computations (drain timeout \(configuration.drainTimeoutSeconds) s)")
        let deadline = Date(timeIntervalSinceNow: configuration.drainTimeoutSeconds)
        guard handler.shutdown.waitForComputations(until: deadline) else {
            logger.error("drain timeout: computations still running after \(configuration.drainTimeoutSeconds) s")
            return false
        }
        if !handler.shutdown.waitForAnswers(until: deadline) {
            logger.warning("stopping with answers still being sent after \(configuration.drainTimeoutSeconds) s")
        }
        sweeper?.stop()
        MHD_stop_daemon(daemon)
        self.daemon = nil
        logger.info("stopped")
        return true
    }
}

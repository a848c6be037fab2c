// autograd-server: the command line around AutogradServer.HTTPServer.
// Keep C callbacks out of this file: top-level code here is main-actor isolated under
// Swift 6, and libmicrohttpd calls its callbacks from its own thread.
import ArgumentParser
import Autograd
import AutogradGraph
import AutogradONNX
import AutogradServer
import Foundation
import Logging

struct AutogradServerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "autograd-server",
        abstract: "Serve reverse-mode autodiff over HTTP: POST a JSON graph, get values and gradients.",
        discussion: """
            Every option can also be set by an environment variable: AUTOGRAD_ and the option's \
            name in upper case with '-' as '_' (--max-body-bytes is AUTOGRAD_MAX_BODY_BYTES). \
            A flag on the command line wins over its variable. AUTOGRAD_API_KEY holds an API \
            key itself (used when no --api-key-file is given).
            """)

    /// The long options that `EnvironmentOptions` may fill in (every option of this command).
    static let environmentOptions = [
        "--host", "--port", "--max-body-bytes", "--max-elements", "--max-ops", "--max-rank",
        "--max-train-steps", "--request-timeout", "--max-inflight", "--max-queue", "--max-queue-bytes", "--cors-origin", "--header-gate",
        "--connection-timeout", "--request-read-timeout", "--max-connections",
        "--max-connections-per-ip", "--linger-timeout", "--linger-time", "--linger-bytes", "--drain-timeout", "--api-key-file", "--tls-cert", "--tls-key",
        "--log-level", "--instance-id", "--log-format", "--threads", "--metrics-public", "--keep-freed-buffers",
    ]

    @Option(help: "Numeric IPv4 or IPv6 address to listen on.")
    var host = "127.0.0.1"

    @Option(help: "TCP port; 0 picks a free one (the log says which).")
    var port = 8080

    @Option(help: "Largest accepted request body in bytes; larger ones get 413.")
    var maxBodyBytes = ServerConfiguration.defaultMaxBodyBytes

    @Option(help: "Most elements per request, across all tensors and intermediate values (422 past it).")
    var maxElements = GraphLimits().maxElements

    @Option(help: "Most ops per request (422 past it).")
    var maxOps = GraphLimits().maxOps

    @Option(help: "Highest tensor rank (422 past it).")
    var maxRank = GraphLimits().maxRank

    @Option(help: "Most steps one /train request may ask for (422 past it).")
    var maxTrainSteps = GraphLimits().maxTrainSteps

    @Option(help: "Seconds from a request's complete body to its answer, queue wait included; past it, the computation stops between ops and answers 503 (0: no limit).")
    var requestTimeout = GraphLimits().requestTimeoutSeconds

    @Option(help: "Most graph computations running at once (default: the CPUs, as --threads).")
    var maxInflight: Int?

    @Option(help: "Threads the computations share for BLAS and elementwise loops; a computation running alone uses them all (default: the CPUs the cgroup's quota and cpuset allow, else the online cores).")
    var threads: Int?

    @Option(help: "true: keep freed buffers for the next computation (glibc's mmap threshold 32 MiB, trim threshold 256 MiB) and give them back after half a second idle: faster /train, larger resident size under load (see docs/operations.md).")
    var keepFreedBuffers = false

    @Option(help: "true: serve GET /metrics without the API key, so that Prometheus can scrape a server that has one.")
    var metricsPublic = false

    @Option(help: "This instance's name in the X-Served-By header of every answer (default: HOSTNAME:PORT).")
    var instanceID: String?

    @Option(help: "Log lines as text or json (one JSON object per line, request fields as members).")
    var logFormat = LogFormat.text

    @Option(help: "Most computations waiting for a slot; more get 503 with Retry-After at once.")
    var maxQueue = ServerConfiguration().maxQueue

    @Option(help: "Most request body bytes of the computations waiting; more get 503 with Retry-After at once.")
    var maxQueueBytes = ServerConfiguration().maxQueueBytes

    @Option(help: "An origin (scheme://host[:port], or '*') whose browser pages may call the service; repeatable, or comma-separated. Off by default.")
    var corsOrigin: [String] = []

    @Option(help: "true: on plain HTTP, answer a first request libmicrohttpd would refuse in HTML (malformed Content-Length, 414, 431, 505) as one problem+json; false: libmicrohttpd accepts connections itself (see docs/operations.md).")
    var headerGate = ServerConfiguration().headerGate

    @Option(help: "Seconds a connection may stay idle (after its accept, or between requests) before it is closed, silently (0: never).")
    var connectionTimeout = ServerConfiguration().connectionTimeoutSeconds

    @Option(help: "Seconds a connection may take to send a whole request, headers and body, counted from the request's first byte; slower ones get 408 and are closed (0: no limit).")
    var requestReadTimeout = ServerConfiguration().requestReadTimeoutSeconds

    @Option(help: "Most connections at once; further ones wait in the kernel's backlog until one closes.")
    var maxConnections = ServerConfiguration().maxConnections

    @Option(name: .customLong("max-connections-per-ip"), help: "Most connections at once from one IP address (0: no limit).")
    var maxConnectionsPerIP = ServerConfiguration().maxConnectionsPerIP

    @Option(help: "After an answer sent before the request body was read (401, 413, 415, ...), seconds of client silence before the rest of the body stops being read and dropped and the connection is closed.")
    var lingerTimeout = ServerConfiguration().lingerTimeoutSeconds

    @Option(help: "After such an answer, most seconds in all spent reading and dropping the rest of the body.")
    var lingerTime = ServerConfiguration().lingerTimeSeconds

    @Option(help: "After such an answer, most body bytes read and dropped before the connection is closed.")
    var lingerBytes = ServerConfiguration().lingerBytes

    @Option(help: "On SIGTERM/SIGINT, seconds to let running and queued requests finish before exiting anyway (exit 1).")
    var drainTimeout = ServerConfiguration().drainTimeoutSeconds

    @Option(help: "File holding an API key: every route but /healthz then needs 'Authorization: Bearer <key>'.")
    var apiKeyFile: String?

    @Option(help: "PEM certificate (chain) file; with --tls-key the server speaks HTTPS only.")
    var tlsCert: String?

    @Option(help: "PEM private key file for --tls-cert.")
    var tlsKey: String?

    @Option(help: "Log level: trace, debug, info, notice, warning, error or critical.")
    var logLevel = "info"

    /// Flags and files resolved; the environment's API key as a fallback.
    /// The CPUs the cgroup allows; `AUTOGRAD_CGROUP_ROOT` points the reading at another
    /// directory (tests fill one).
    static func cpuBudget(environment: [String: String] = ProcessInfo.processInfo.environment) -> CPUBudget {
        CPUBudget.read(root: environment["AUTOGRAD_CGROUP_ROOT"].flatMap { $0.isEmpty ? nil : $0 } ?? CPUBudget.defaultRoot)
    }

    /// `--threads`, else the CPUs.
    func resolvedThreads(_ cpu: CPUBudget) -> Int { threads ?? cpu.cpus }

    func serverConfiguration(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> ServerConfiguration {
        let threads = resolvedThreads(Self.cpuBudget(environment: environment))
        var configuration = ServerConfiguration(
            host: host, port: port, maxBodyBytes: maxBodyBytes, maxInflight: maxInflight ?? threads,
            connectionTimeoutSeconds: connectionTimeout, drainTimeoutSeconds: drainTimeout)
        configuration.metricsPublic = metricsPublic
        configuration.maxQueue = maxQueue
        configuration.maxQueueBytes = maxQueueBytes
        configuration.corsOrigins = CORSPolicy.parse(corsOrigin)
        configuration.headerGate = headerGate
        configuration.maxConnections = maxConnections
        configuration.maxConnectionsPerIP = maxConnectionsPerIP
        configuration.requestReadTimeoutSeconds = requestReadTimeout
        configuration.lingerTimeoutSeconds = lingerTimeout
        configuration.lingerTimeSeconds = lingerTime
        configuration.lingerBytes = lingerBytes
        configuration.instanceID = instanceID
        configuration.logFormat = logFormat
        if let apiKeyFile {
            configuration.apiKey = try Self.read(apiKeyFile, what: "API key file").trimmingCharacters(in: .whitespacesAndNewlines)
        } else if let key = environment["AUTOGRAD_API_KEY"], !key.isEmpty {
            configuration.apiKey = key.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        if tlsCert != nil || tlsKey != nil {
            guard let tlsCert, let tlsKey else { throw ValidationError("--tls-cert and --tls-key go together") }
            configuration.tlsCertificatePEM = try Self.read(tlsCert, what: "TLS certificate")
            configuration.tlsKeyPEM = try Self.read(tlsKey, what: "TLS key")
        }
        let errors = configuration.validationErrors()
        if !errors.isEmpty { throw ValidationError(errors.joined(separator: "; ")) }
        return configuration
    }

    var graphLimits: GraphLimits {
        var limits = GraphLimits()
        limits.maxElements = maxElements
        limits.maxOps = maxOps
        limits.maxRank = maxRank
        limits.maxTrainSteps = maxTrainSteps
        limits.requestTimeoutSeconds = requestTimeout
        return limits
    }

    static func read(_ path: String, what: String) throws -> String {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw ValidationError("cannot read the \(what) '\(path)'")
        }
        return text
    }

    func validate() throws {
        _ = try serverConfiguration()
        guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("unknown log level '\(logLevel)'") }
        for (name, value) in [("max elements", maxElements), ("max ops", maxOps), ("max rank", maxRank), ("max train steps", maxTrainSteps)]
        where value < 1 {
            throw ValidationError("\(name) must be >= 1, got \(value)")
        }
        if let threads, threads < 1 { throw ValidationError("threads must be >= 1, got \(threads)") }
        guard requestTimeout >= 0, requestTimeout.isFinite else {
            throw ValidationError("request timeout must be >= 0 seconds, got \(requestTimeout)")
        }
    }

    func run() throws {
        let level = Logger.Level(rawValue: logLevel) ?? .info
        LoggingSystem.bootstrap { label in
            var handler: any LogHandler = logFormat == .json
                ? JSONLogHandler.standardError(label: label) : TextLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "autograd-server")
        // The computations share the threads: one running alone uses them all, k running
        // at once get threads / k each (ThreadBudget, registered by the compute limiter).
        let cpu = Self.cpuBudget()
        var configuration = try serverConfiguration()
        ThreadBudget.threads = resolvedThreads(cpu)
        logger.info("cpu budget: threads=\(ThreadBudget.threads) max_inflight=\(configuration.maxInflight) \(cpu.summary)")
        // The float32 GEMM library is chosen (and oneDNN opened, its OpenMP environment set)
        // here, before any request thread runs, rather than at the first product.
        logger.info("float32 gemm: \(GEMM.float32Description)")
        let environment = ProcessInfo.processInfo.environment
        let chose = environment["AUTOGRAD_OPENBLAS_CHOSE"].map { ", OPENBLAS_CORETYPE set by the server: OpenBLAS took this CPU for \($0)" } ?? ""
        logger.info("float64 gemm: openblas \(BLAS.coreName) kernels\(chose)")
        // --keep-freed-buffers: freed buffers are kept for the next step or request and
        // given back once the server is idle. Settings given to glibc in the environment win.
        configuration.releaseMemoryWhenIdle = keepFreedBuffers && MemoryPolicy.keepFreedBuffers()
        let memory = configuration.releaseMemoryWhenIdle ? "on, released when idle"
            : keepFreedBuffers ? "off (glibc settings from the environment win)" : "off (glibc defaults)"
        logger.info("memory: keep freed buffers \(memory)")
        let server = HTTPServer(configuration: configuration, service: GraphService(limits: graphLimits, importer: ONNXImporter()), logger: logger)
        let signalSources = handleTerminationSignals(logger: logger) { server.stop() }
        do {
            try server.start()
        } catch {
            logger.critical("\(error)")
            throw ExitCode.failure
        }
        withExtendedLifetime(signalSources) { dispatchMain() }
    }
}

extension LogFormat: ExpressibleByArgument {}

// OpenBLAS reads its settings once, when it loads: its kernels from CPUID or
// OPENBLAS_CORETYPE, how long its idle threads spin from OPENBLAS_THREAD_TIMEOUT. When the
// server needs either (BLAS.startupEnvironment: a CPU taken for an old one, Emerald Rapids
// for Prescott; no timeout set), it starts again with them set. If exec fails it carries
// on as it is.
let openBLASSettings = BLAS.startupEnvironment()
if !openBLASSettings.isEmpty {
    for (name, value) in openBLASSettings { setenv(name, value, 1) }
    if openBLASSettings["OPENBLAS_CORETYPE"] != nil { setenv("AUTOGRAD_OPENBLAS_CHOSE", BLAS.coreName, 1) }
    execv("/proc/self/exe", CommandLine.unsafeArgv)
}

AutogradServerCommand.main(
    EnvironmentOptions.arguments(options: AutogradServerCommand.environmentOptions, environment: ProcessInfo.processInfo.environment)
        + CommandLine.arguments.dropFirst())

import AutogradGraph
import Foundation
import Logging
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Name and version, for `GET /version` (and its Open Inference Protocol twin `GET /v2`),
/// the `autograd_build_info` metric and the spec's `info.version` (a test keeps them equal).
public enum ServerInfo {
    public static let name = "SwiftAutograd"
    public static let version = "0.1.0"

    /// `{"name":"SwiftAutograd","version":"0.1.0","extensions":[]}` (`extensions` is the
    /// Open Inference Protocol's server-metadata member).
    static let versionResponse: Response = {
        var w = JSONWriter(capacity: 96)
        w.raw("{\"name\":"); w.string(name)
        w.raw(",\"version\":"); w.string(version)
        w.raw(",\"extensions\":[]}")
        return Response(status: 200, contentType: "application/json", body: w.bytes)
    }()

    /// `GET /openapi.yaml`: api/openapi.yaml as it was when the server was built (embedded
    /// through the symlink Sources/AutogradServer/openapi.yaml, so the binary is
    /// self-contained).
    static let openAPIResponse = Response(
        status: 200, contentType: "application/yaml", body: PackageResources.openapi_yaml)
}

/// Whether the server takes traffic: `GET /readyz` (and `/v2/health/ready`) answer 200
/// only while ready. Starting until `HTTPServer.start()` has bound and is serving;
/// draining from the moment a stop begins (a load balancer then stops sending new
/// requests while the running ones finish).
///
/// `@unchecked Sendable`: `state` is guarded by `lock`.
public final class Readiness: @unchecked Sendable {
    public enum State: String, Sendable {
        case starting, ready, draining
    }

    private let lock = NSLock()
    private var _state = State.starting

    public init() {}

    public var state: State {
        lock.lock()
        defer { lock.unlock() }
        return _state
    }

    public var isReady: Bool { state == .ready }

    /// `.ready` once serving; never leaves `.draining`.
    func set(_ new: State) {
        lock.lock()
        defer { lock.unlock() }
        if _state != .draining { _state = new }
    }

    /// 200 `{"status":"ready"}`, or 503 problem+json saying why not, with `Retry-After`.
    var response: Response {
        switch state {
        case .ready:
            return Response(status: 200, contentType: "application/json", body: Array(#"{"status":"ready"}"#.utf8))
        case .starting, .draining:
            return Problem(
                status: 503, title: "Service Unavailable", detail: "not ready: \(state.rawValue)", kind: .notReady,
                headers: [(name: "Retry-After", value: "1")]
            ).response
        }
    }
}

/// The id of one request: the body's `id` member when it has a valid one (the graph service
/// echoes it), else a valid `X-Request-Id` header (as a proxy such as nginx sets it), else
/// 32 random hex digits. It is answered as `X-Request-Id`, and logged.
enum RequestID {
    /// Up to 128 characters of `A-Z a-z 0-9 - . _ ~ : / + = @`: safe in a header, a log
    /// line and a JSON string alike. (The graph format checks the body's `id` the same way.)
    static func isValid(_ id: String) -> Bool { GraphRequestID.isValid(id) }

    static func generate() -> String {
        let hex = Array("0123456789abcdef".utf8)
        let random = entropy.withLock { $0.take16() }
        var bytes = [UInt8]()
        bytes.reserveCapacity(32)
        for b in random {
            bytes.append(hex[Int(b >> 4)])
            bytes.append(hex[Int(b & 15)])
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The system's random bytes (as `SystemRandomNumberGenerator` reads them), fetched
    /// 4 KiB at a time rather than with two system calls per request (16 ids a call).
    private static let entropy = Mutex(EntropyPool())

    struct EntropyPool: ~Copyable {
        private var pool = [UInt8](repeating: 0, count: 4096)
        private var next = 4096

        mutating func take16() -> [UInt8] {
            if next + 16 > pool.count {
                var g = SystemRandomNumberGenerator()
                pool.withUnsafeMutableBytes { raw in
                    // getentropy(3) (getrandom(2) underneath) gives up to 256 bytes a call;
                    // should it fail, the generator (the same source) fills the rest.
                    var offset = 0
                    if let base = raw.baseAddress {
                        while offset < raw.count, getentropy(base + offset, 256) == 0 { offset += 256 }
                    }
                    while offset < raw.count {
                        raw.storeBytes(of: g.next() as UInt64, toByteOffset: offset, as: UInt64.self)
                        offset += 8
                    }
                }
                next = 0
            }
            defer { next += 16 }
            return Array(pool[next..<next + 16])
        }
    }

    /// The id for a request with this `X-Request-Id` header (or none).
    static func from(header: String?) -> String {
        if let header, isValid(header) { return header }
        return generate()
    }
}

extension Router {
    /// The `route` label of the metrics: the path of a known route (whatever the method),
    /// else `other`.
    static func metricsLabel(path: String) -> String {
        readRoutes[path] != nil || endpoint(path: path) != nil ? path : "other"
    }
}

extension ConnectionState {
    /// The headers every answer carries (`X-Served-By`, and `X-Request-Id` unless the
    /// response has its own: the body's `id`, which then becomes this request's id), and
    /// notes the graph's size for the metrics. Called as the response is queued.
    func identityHeaders(for response: Response) -> [(name: String, value: String)] {
        if let graphSize = response.graphSize { self.graphSize = graphSize }
        var headers = [(name: "X-Served-By", value: servedBy)]
        if let own = response.headers.first(where: { $0.name.lowercased() == "x-request-id" }) {
            requestID = own.value
        } else {
            headers.append((name: "X-Request-Id", value: requestID))
        }
        // Whether an answer is gzip-compressed depends on Accept-Encoding (`ContentCoding`).
        var cors = corsHeaders
        if let vary = cors.firstIndex(where: { $0.name == "Vary" }) {
            cors[vary].value += ", Accept-Encoding"
        } else {
            headers.append((name: "Vary", value: "Accept-Encoding"))
        }
        return headers + cors
    }
}

/// The routes of operability, beside the graph endpoints and /ops.
enum InfoRoute: Equatable {
    /// `GET /readyz`, `GET /v2/health/ready`.
    case readiness
    /// `GET /metrics`.
    case metrics
    /// `GET /openapi.yaml`.
    case openAPI
    /// `GET /version`, `GET /v2`.
    case version

    static let metricsPath = "/metrics"

    /// Path → route, merged into the router's read routes. `/v2/health/live` is the Open
    /// Inference Protocol's name for `/healthz`.
    static let routes: [String: Route] = [
        "/readyz": .info(.readiness), "/v2/health/ready": .info(.readiness), "/v2/health/live": .health,
        metricsPath: .info(.metrics), "/openapi.yaml": .info(.openAPI), "/version": .info(.version),
        "/v2": .info(.version),
    ]
}

/// Readiness, metrics, request ids, the log line: what a request handler needs for issue 6's
/// operability, in one place so that the handler itself only calls in at three points
/// (`begin`, the end of a computation, `complete`).
///
/// `@unchecked Sendable`: `instanceID` and `logFormat` are guarded by `lock`; the rest is
/// immutable or thread-safe itself.
final class Operability: @unchecked Sendable {
    let readiness = Readiness()
    let metrics: ServerMetrics
    private let lock = NSLock()
    private var _instanceID = ""
    private var _logFormat = LogFormat.text

    init() {
        let box = LoadBox()
        metrics = ServerMetrics(readiness: readiness, load: { box.read() })
        loadBox = box
    }

    private let loadBox: LoadBox

    /// Where the computations gauges read from (the handler's `ComputeLimiter`).
    func observe(load: @escaping @Sendable () -> (running: Int, waiting: Int)) { loadBox.set(load) }

    /// `X-Served-By` of every answer: `--instance-id`, by default `HOSTNAME:PORT`.
    var instanceID: String {
        get { lock.lock(); defer { lock.unlock() }; return _instanceID }
        set { lock.lock(); _instanceID = newValue; lock.unlock() }
    }

    var logFormat: LogFormat {
        get { lock.lock(); defer { lock.unlock() }; return _logFormat }
        set { lock.lock(); _logFormat = newValue; lock.unlock() }
    }

    /// The default instance id: the host's name and the bound port.
    static func defaultInstanceID(port: Int) -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        let host = gethostname(&buffer, buffer.count) == 0
            ? String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) : "localhost"
        return "\(host.isEmpty ? "localhost" : host):\(port)"
    }

    /// First call for a request: its id and the instance that serves it.
    func begin(_ state: ConnectionState, requestIDHeader: String?) {
        state.requestID = RequestID.from(header: requestIDHeader)
        state.servedBy = instanceID
    }

    func response(for route: InfoRoute) -> Response {
        switch route {
        case .readiness: return readiness.response
        case .metrics: return metrics.exposition()
        case .openAPI: return ServerInfo.openAPIResponse
        case .version: return ServerInfo.versionResponse
        }
    }

    /// `POST /graph`: decides DOT or SVG from `?format=` and `Accept`; a problem to answer
    /// with instead (unknown format 400, SVG without Graphviz 501), or nil to go on.
    func chooseGraphFormat(_ endpoint: Endpoint, state: ConnectionState, query: String?, accept: String?) -> Response? {
        guard endpoint == .graph else { return nil }
        switch GraphFormat.choose(query: query, accept: accept) {
        case .failure(let problem):
            return problem.response
        case .success(let format):
            state.graphFormat = format
            if format == .svg && GraphRenderer.dotPath() == nil { return GraphRenderer.notInstalled }
            return nil
        }
    }

    /// On the computation queue, after the graph service answered: SVG for `/graph?format=svg`.
    static func finish(_ response: Response, format: GraphFormat) -> Response {
        format == .svg ? GraphRenderer.svg(from: response) : response
    }

    /// The request is over: its metrics and its log line.
    func complete(_ state: ConnectionState, ending: String?, logger: Logger) {
        let route = Router.metricsLabel(path: state.path)
        metrics.recordRequest(
            route: route, status: state.status, seconds: state.elapsedMilliseconds / 1000,
            bytesIn: state.received, bytesOut: state.responseBytes)
        if let size = state.graphSize, let endpoint = Router.endpoint(path: state.path) {
            metrics.recordGraph(endpoint, size)
        }
        if state.answeredEarly { metrics.recordEarlyAnswer(status: state.status, dropped: state.dropped) }
        // Closing after a dropped body is the plan, not an error.
        let ending = state.answeredEarly && ending == "error" ? nil : ending
        let dropped = state.answeredEarly ? state.dropped : nil
        switch logFormat {
        case .text:
            logger.info("\(RequestLog.line(method: state.method, path: state.path, status: state.status, bytes: state.responseBytes, milliseconds: state.elapsedMilliseconds, ending: ending, requestID: state.requestID, dropped: dropped))")
        case .json:
            logger.info("request", metadata: RequestLog.metadata(
                method: state.method, path: state.path, status: state.status, bytes: state.responseBytes,
                milliseconds: state.elapsedMilliseconds, ending: ending, requestID: state.requestID, dropped: dropped))
        }
    }
}

/// The computations gauges' source, set once the limiter exists.
private final class LoadBox: @unchecked Sendable {
    private let lock = NSLock()
    private var load: @Sendable () -> (running: Int, waiting: Int) = { (0, 0) }

    func set(_ new: @escaping @Sendable () -> (running: Int, waiting: Int)) {
        lock.lock()
        load = new
        lock.unlock()
    }

    func read() -> (running: Int, waiting: Int) {
        lock.lock()
        let f = load
        lock.unlock()
        return f()
    }
}

import AutogradGraph
import Prometheus
import Synchronization

/// The server's Prometheus metrics (`GET /metrics`), kept in a registry of its own (no
/// global `MetricsSystem` bootstrap, so several servers in one test process keep apart):
///
/// | metric | type | labels |
/// | --- | --- | --- |
/// | `autograd_http_requests_total` | counter | `route`, `status` |
/// | `autograd_http_request_duration_seconds` | histogram | `route` |
/// | `autograd_http_request_bytes_total` | counter (body bytes in) | `route` |
/// | `autograd_http_response_bytes_total` | counter (body bytes out) | `route` |
/// | `autograd_http_early_answers_total` | counter (answered before the body was read) | `status` |
/// | `autograd_http_discarded_body_bytes_total` | counter (refused body bytes read and dropped) | |
/// | `autograd_computations_inflight` | gauge | |
/// | `autograd_computations_queued` | gauge | |
/// | `autograd_graph_ops` | histogram (ops per graph) | `endpoint` |
/// | `autograd_graph_elements` | histogram (elements per request) | `endpoint` |
/// | `autograd_ready` | gauge (1 ready, 0 starting or draining) | |
/// | `autograd_build_info` | gauge (always 1) | `version` |
///
/// After them come the `process_*` metrics every Prometheus client library exports
/// (`ProcessMetrics`), read from `/proc/self` at each scrape.
///
/// `route` is the path of a known route, or `other` (so unknown paths cannot grow the
/// label set). Request counts are recorded when a request completes, so one scrape does not
/// count itself.
final class ServerMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    private let inflight: Gauge
    private let queued: Gauge
    private let ready: Gauge
    /// Running and waiting computations, read at scrape time.
    private let load: @Sendable () -> (running: Int, waiting: Int)
    private let readiness: Readiness
    /// The series of each route and of each route and status, made on first use: the
    /// registry's own lookup builds and validates names and label strings on every call,
    /// which per request cost more than the rest of the accounting. Bounded: routes are the
    /// known paths and `other`, statuses 100...599 and `none`.
    private let routeSeries = Mutex<[String: RouteSeries]>([:])
    private let requestCounters = Mutex<[RouteStatus: Counter]>([:])
    private let earlyCounters = Mutex<[Int: Counter]>([:])
    private let discardedBytes: Counter

    private struct RouteSeries: Sendable {
        let duration: DurationHistogram
        let bytesIn: Counter
        let bytesOut: Counter
    }

    private struct RouteStatus: Hashable, Sendable {
        let route: String
        let status: Int?
    }

    static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    static let durationBuckets: [Duration] = [
        .microseconds(500), .milliseconds(1), .microseconds(2500), .milliseconds(5), .milliseconds(10),
        .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500),
        .seconds(1), .milliseconds(2500), .seconds(5), .seconds(10), .seconds(30), .seconds(60),
    ]
    static let opsBuckets: [Double] = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000, 20_000, 50_000, 100_000]
    static let elementsBuckets: [Double] = [1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8]

    init(readiness: Readiness, load: @escaping @Sendable () -> (running: Int, waiting: Int)) {
        self.load = load
        self.readiness = readiness
        inflight = registry.makeGauge(descriptor: Self.name("computations_inflight", "", "Graph computations running now."))
        queued = registry.makeGauge(descriptor: Self.name("computations_queued", "", "Graph computations waiting for a slot now."))
        discardedBytes = registry.makeCounter(descriptor: Self.name(
            "http_discarded_body", "bytes_total", "Body bytes of requests answered before their body was read, read and dropped."))
        ready = registry.makeGauge(descriptor: Self.name("ready", "", "1 while the server takes traffic (GET /readyz is 200), 0 while starting or draining."))
        registry.makeGauge(
            descriptor: Self.name("build", "info", "Always 1; the version label tells the server's version."),
            labels: [("version", ServerInfo.version)]
        ).set(to: 1)
        // Every endpoint's series exist from the start, at zero.
        let registry = self.registry
        graphSeries = Endpoint.allCases.map { endpoint in
            (endpoint, ops: Self.opsHistogram(registry, endpoint), elements: Self.elementsHistogram(registry, endpoint))
        }
    }

    /// Each endpoint's graph histograms, made once.
    private let graphSeries: [(endpoint: Endpoint, ops: ValueHistogram, elements: ValueHistogram)]

    private static func name(_ metric: String, _ unit: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(namespace: "autograd", metricName: metric, unitName: unit, helpText: help)
    }

    private static func opsHistogram(_ registry: PrometheusCollectorRegistry, _ endpoint: Endpoint) -> ValueHistogram {
        registry.makeValueHistogram(
            descriptor: Self.name("graph_ops", "", "Ops per graph request that got as far as a plan."),
            labels: [("endpoint", endpoint.rawValue)], buckets: Self.opsBuckets)
    }

    private static func elementsHistogram(_ registry: PrometheusCollectorRegistry, _ endpoint: Endpoint) -> ValueHistogram {
        registry.makeValueHistogram(
            descriptor: Self.name("graph_elements", "", "Elements per graph request: its tensors and every value computed from them."),
            labels: [("endpoint", endpoint.rawValue)], buckets: Self.elementsBuckets)
    }

    /// One finished request.
    func recordRequest(route: String, status: Int?, seconds: Double, bytesIn: Int, bytesOut: Int) {
        requestCounter(route: route, status: status).increment()
        let series = self.series(route: route)
        series.duration.record(.nanoseconds(Int64((seconds * 1e9).rounded())))
        series.bytesIn.increment(by: Int64(bytesIn))
        series.bytesOut.increment(by: Int64(bytesOut))
    }

    /// One request answered before its body was read, and the body bytes dropped after.
    func recordEarlyAnswer(status: Int?, dropped: Int) {
        let status = status ?? 0
        let counter = earlyCounters.withLock { counters in
            if let counter = counters[status] { return counter }
            let counter = registry.makeCounter(
                descriptor: Self.name("http_early_answers", "total", "Requests answered before their body was read (401, 413, 415, ...), by status."),
                labels: [("status", status == 0 ? "none" : String(status))])
            counters[status] = counter
            return counter
        }
        counter.increment()
        discardedBytes.increment(by: Int64(dropped))
    }

    private func requestCounter(route: String, status: Int?) -> Counter {
        let key = RouteStatus(route: route, status: status)
        if let counter = requestCounters.withLock({ $0[key] }) { return counter }
        let counter = registry.makeCounter(
            descriptor: Self.name("http_requests", "total", "HTTP requests finished, by route and status (none: the connection ended unanswered)."),
            labels: [("route", route), ("status", status.map(String.init) ?? "none")])
        requestCounters.withLock { $0[key] = counter }
        return counter
    }

    private func series(route: String) -> RouteSeries {
        if let series = routeSeries.withLock({ $0[route] }) { return series }
        // The registry hands back the same metric for the same name and labels, so two
        // threads making one at once still share it.
        let series = RouteSeries(
            duration: registry.makeDurationHistogram(
                descriptor: Self.name("http_request_duration", "seconds", "From the request's headers to its completion."),
                labels: [("route", route)], buckets: Self.durationBuckets),
            bytesIn: registry.makeCounter(
                descriptor: Self.name("http_request", "bytes_total", "Request body bytes received."),
                labels: [("route", route)]),
            bytesOut: registry.makeCounter(
                descriptor: Self.name("http_response", "bytes_total", "Response body bytes sent."),
                labels: [("route", route)]))
        routeSeries.withLock { $0[route] = series }
        return series
    }

    /// The size of one planned graph.
    func recordGraph(_ endpoint: Endpoint, _ size: GraphSize) {
        guard let series = graphSeries.first(where: { $0.endpoint == endpoint }) else { return }
        series.ops.record(Double(size.ops))
        series.elements.record(Double(size.elements))
    }

    /// The exposition in Prometheus text format 0.0.4.
    func exposition() -> Response {
        let (running, waiting) = load()
        inflight.set(to: Double(running))
        queued.set(to: Double(waiting))
        ready.set(to: readiness.isReady ? 1 : 0)
        return Response(status: 200, contentType: Self.contentType, body: registry.emitToBuffer() + ProcessMetrics.read().exposition())
    }
}

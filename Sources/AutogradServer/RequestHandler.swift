import AutogradGraph
import CMicroHTTPD
import Foundation
import GzipCoding
import Logging

/// The per-daemon context libmicrohttpd passes to the C callbacks: decides what each
/// access-handler call does. Runs on MHD's polling thread, except the computation closure.
///
/// `@unchecked Sendable`: its stored properties are immutable or themselves thread-safe
/// (`ComputeLimiter`, `ShutdownAccounting` lock internally; `respond` and `Logger` are
/// Sendable).
final class RequestHandler: @unchecked Sendable {
    /// `GraphService.respond` in production; tests substitute slow or counting stand-ins.
    /// Answers a body sent to an endpoint; the instant is when the body was complete, from
    /// which the request timeout counts (time waiting for a computation slot included).
    /// Answers a request body; it may empty the body (`GraphService.respond(to:taking:since:)`
    /// frees it once parsed).
    typealias Responder = @Sendable (Endpoint, inout [UInt8], ContinuousClock.Instant) -> Response

    let respond: Responder
    /// `GraphService.operations()`: a cached document, cheap enough for the polling thread.
    let operations: @Sendable () -> Response
    let maxBodyBytes: Int
    let logger: Logger
    let limiter: ComputeLimiter
    let shutdown = ShutdownAccounting()
    /// Readiness, metrics, request ids and the log line (`Operability`).
    let operability = Operability()
    /// Set when an API key is configured.
    let auth: BearerAuth?
    /// Paths served without the API key: the probes, and `/metrics` with `--metrics-public`.
    let publicPaths: Set<String>
    /// False under TLS: `EarlyRejection` cannot write plaintext to a TLS socket, so an
    /// over-limit chunked body is cut off without its 413.
    let canWriteRaw: Bool
    /// Set when `--request-read-timeout` is on; told when a request has been read and answered.
    let sweeper: SlowClientSweeper?
    /// How long and how much of a refused body is read and dropped (`EarlyRejection`).
    let linger: EarlyRejection.Linger
    /// Which browser origins get CORS headers and preflight answers.
    let cors: CORSPolicy

    init(
        respond: @escaping Responder, operations: @escaping @Sendable () -> Response,
        maxBodyBytes: Int, maxInflight: Int, logger: Logger,
        maxQueue: Int = .max, maxQueueBytes: Int = .max, apiKey: String? = nil, metricsPublic: Bool = false,
        whenIdle: (@Sendable () -> Void)? = nil, cors: CORSPolicy = CORSPolicy(origins: []), canWriteRaw: Bool = true, sweeper: SlowClientSweeper? = nil,
        linger: EarlyRejection.Linger = EarlyRejection.Linger()
    ) {
        self.respond = respond
        self.operations = operations
        self.maxBodyBytes = maxBodyBytes
        self.limiter = ComputeLimiter(limit: maxInflight, maxQueue: maxQueue, maxQueueBytes: maxQueueBytes, whenIdle: whenIdle)
        self.logger = logger
        self.auth = apiKey.map(BearerAuth.init(key:))
        self.publicPaths = metricsPublic ? Router.publicPaths.union([InfoRoute.metricsPath]) : Router.publicPaths
        self.canWriteRaw = canWriteRaw
        self.sweeper = sweeper
        self.linger = linger
        self.cors = cors
    }

    /// First call for a request: headers are in, no body yet. Answers right away when the
    /// route, media type or declared length already decides the outcome.
    func begin(_ state: ConnectionState, connection: OpaquePointer) -> MHD_Result {
        operability.begin(state, requestIDHeader: header(connection, "X-Request-Id"))
        state.corsHeaders = cors.responseHeaders(origin: header(connection, "Origin"))
        state.acceptsGzip = ContentCoding.acceptsGzip(header(connection, "Accept-Encoding"))
        if let refusal = framingProblem(connection) {
            return answer(refusal, state: state, connection: connection)
        }
        let hosts = Int(cmhd_header_count(connection, "Host"))
        if hosts > 1 || (hosts == 0 && state.version == "HTTP/1.1") {
            return answer(HTTPProblems.badHost(count: hosts), state: state, connection: connection)
        }
        // A CORS preflight: no API key (browsers send none on it), the methods of the path.
        if state.method == "OPTIONS", !state.corsHeaders.isEmpty,
           header(connection, "Access-Control-Request-Method") != nil, let allow = Router.methods(path: state.path) {
            return answer(CORSPolicy.preflight(allow: allow), state: state, connection: connection)
        }
        if let auth, !publicPaths.contains(state.path),
           let refusal = auth.problem(authorization: header(connection, "Authorization")) {
            return answer(refusal, state: state, connection: connection)
        }
        switch Router.resolve(method: state.method, path: state.path) {
        case .failure(let problem):
            return answer(problem.response, state: state, connection: connection)
        case .success(.health):
            return answer(Router.healthResponse, state: state, connection: connection)
        case .success(.operations):
            return answer(operations(), state: state, connection: connection)
        case .success(.info(let route)):
            return answer(operability.response(for: route), state: state, connection: connection)
        case .success(.page(let path)):
            return answer(WebPage.response(path: path, ifNoneMatch: header(connection, "If-None-Match")), state: state, connection: connection)
        case .success(.graph(let endpoint)):
            if endpoint == .graph, let refusal = operability.chooseGraphFormat(
                endpoint, state: state, query: MHD_lookup_connection_value(connection, .GET_ARGUMENT_KIND, "format").map { String(cString: $0) },
                accept: header(connection, "Accept")) {
                return answer(refusal, state: state, connection: connection)
            }
            let contentType = header(connection, "Content-Type")
            guard MediaType.isJSON(contentType) else {
                return answer(HTTPProblems.unsupportedMediaType(got: contentType), state: state, connection: connection)
            }
            switch ContentCoding.requestCoding(header(connection, "Content-Encoding"),
                                               fields: Int(cmhd_header_count(connection, "Content-Encoding"))) {
            case .unsupported(let coding):
                return answer(HTTPProblems.unsupportedContentEncoding(coding), state: state, connection: connection)
            case .gzip: state.inflater = GzipInflater(limit: maxBodyBytes)
            case .identity: break
            }
            if let declared = header(connection, "Content-Length") {
                guard let length = UInt64(declared[...].trimmingWhitespace()) else {
                    return answer(HTTPProblems.badContentLength(declared), state: state, connection: connection)
                }
                // Answered before any body byte is read (`EarlyRejection`).
                guard length <= UInt64(maxBodyBytes) else {
                    return answer(HTTPProblems.contentTooLarge(limit: maxBodyBytes), state: state, connection: connection)
                }
                state.body.reserveCapacity(Int(length))
            }
            if hasBody(connection), !shutdown.isAccepting {
                return answer(HTTPProblems.shuttingDown(), state: state, connection: connection)
            }
            state.phase = .receiving(endpoint)
            return .YES
        }
    }

    /// An answer known from the headers. Without a request body it waits for the final
    /// call, which keeps the connection alive; with one it goes before the body is read
    /// (`EarlyRejection`).
    private func answer(_ response: Response, state: ConnectionState, connection: OpaquePointer) -> MHD_Result {
        guard hasBody(connection) else {
            state.phase = .deferred(response)
            return .YES
        }
        state.answeredEarly = true
        // The client waits for `100 Continue` before its body: MHD answers at once instead,
        // sends no 100 and reads no body byte, then closes.
        if expectsContinue(connection) { return ResponseQueueing.queue(response, on: connection, state: state) }
        return linger(after: response, state: state, connection: connection)
    }

    /// Writes `response` now if it can (plain HTTP), then reads and drops the body within
    /// the linger bounds; otherwise keeps it to queue when the body has ended.
    private func linger(after response: Response, state: ConnectionState, connection: OpaquePointer) -> MHD_Result {
        sweeper?.requestRead(connection)
        _ = cmhd_set_connection_timeout(connection, UInt32(linger.timeoutSeconds))
        state.lingerSince = .now()
        if canWriteRaw, EarlyRejection.writeAndHalfClose(
            EarlyRejection.wireBytes(response, extraHeaders: state.identityHeaders(for: response)), to: connection) {
            state.status = response.status
            state.responseBytes = response.body.count
            state.phase = .lingering(pending: nil)
        } else {
            state.phase = .lingering(pending: response)
        }
        return .YES
    }

    private func expectsContinue(_ connection: OpaquePointer) -> Bool {
        guard let expect = header(connection, "Expect") else { return false }
        return expect[...].trimmingWhitespace().lowercased() == "100-continue"
    }

    /// Request smuggling guards (RFC 9112 §6.1, §6.3), which libmicrohttpd 0.9.75 lacks:
    /// it reads a body by the first of two Content-Length fields, and by chunked framing
    /// when Transfer-Encoding comes with Content-Length, where a proxy in front may do
    /// otherwise. A transfer coding other than chunked is not implemented.
    private func framingProblem(_ connection: OpaquePointer) -> Response? {
        let lengths = cmhd_header_count(connection, "Content-Length")
        let encodings = cmhd_header_count(connection, "Transfer-Encoding")
        if lengths > 1 { return HTTPProblems.ambiguousFraming("\(lengths) Content-Length fields") }
        if lengths > 0 && encodings > 0 {
            return HTTPProblems.ambiguousFraming("both Content-Length and Transfer-Encoding")
        }
        if encodings > 1 { return HTTPProblems.ambiguousFraming("\(encodings) Transfer-Encoding fields") }
        if let coding = header(connection, "Transfer-Encoding"),
           coding[...].trimmingWhitespace().lowercased() != "chunked" {
            return HTTPProblems.unsupportedTransferEncoding(coding)
        }
        return nil
    }

    private func hasBody(_ connection: OpaquePointer) -> Bool {
        if header(connection, "Transfer-Encoding") != nil { return true }
        guard let length = header(connection, "Content-Length") else { return false }
        return length[...].trimmingWhitespace() != "0"
    }

    /// Later calls: upload chunks (`*size > 0`), the end of the body (`*size == 0`), or the
    /// call after resumption.
    func `continue`(_ state: ConnectionState, connection: OpaquePointer, data: UnsafePointer<CChar>?,
                    size: UnsafeMutablePointer<Int>) -> MHD_Result {
        let count = size.pointee
        switch state.phase {
        case .receiving(let endpoint):
            if count > 0 {
                size.pointee = 0
                state.received += count
                guard state.received <= maxBodyBytes else {
                    state.body = []
                    return reject(state, connection: connection, with: HTTPProblems.contentTooLarge(limit: maxBodyBytes))
                }
                if let data, let inflater = state.inflater {
                    // Inflated as it arrives; the inflated size is what --max-body-bytes bounds.
                    do {
                        try inflater.append(UnsafeRawBufferPointer(start: data, count: count), to: &state.body)
                    } catch {
                        state.body = []
                        return reject(state, connection: connection, with: HTTPProblems.gzipBody(error))
                    }
                } else if let data {
                    data.withMemoryRebound(to: UInt8.self, capacity: count) {
                        state.body.append(contentsOf: UnsafeBufferPointer(start: $0, count: count))
                    }
                }
                return .YES
            }
            if let inflater = state.inflater {
                state.inflater = nil
                do { try inflater.finish() } catch {
                    state.body = []
                    return ResponseQueueing.queue(HTTPProblems.gzipBody(error), on: connection, state: state)
                }
            }
            return compute(endpoint, state: state, connection: connection)
        case .deferred(let response):
            size.pointee = 0
            if count > 0 { return .YES }
            sweeper?.requestRead(connection)
            return ResponseQueueing.queue(response, on: connection, state: state)
        case .lingering(let pending):
            size.pointee = 0
            guard count > 0 else {
                // The body is over: the pending answer now (the connection may stay open), or close.
                guard let pending else { return .NO }
                return ResponseQueueing.queue(pending, on: connection, state: state)
            }
            state.received += count
            state.dropped += count
            // Past a bound: close (MHD_NO), answered or not.
            return linger.allows(dropped: state.dropped, since: state.lingerSince) ? .YES : .NO
        case .computing:
            size.pointee = 0
            guard let response = state.takeComputed() else { return .YES }
            return ResponseQueueing.queue(response, on: connection, state: state)
        case .answered:
            size.pointee = 0
            return .YES
        }
    }

    /// Over the limit mid-body: libmicrohttpd 0.9.75 cannot queue a response until the body
    /// ends, so the answer goes as for one refused from its headers (`EarlyRejection`).
    private func reject(_ state: ConnectionState, connection: OpaquePointer, with response: Response) -> MHD_Result {
        state.answeredEarly = true
        return linger(after: response, state: state, connection: connection)
    }

    /// The body is complete: suspend the connection and run the service on a queue of its
    /// own (bounded by the limiter); resume with the answer.
    private func compute(_ endpoint: Endpoint, state: ConnectionState, connection: OpaquePointer) -> MHD_Result {
        sweeper?.requestRead(connection)
        guard limiter.hasRoom(bytes: state.body.count) else {
            state.body = []
            return ResponseQueueing.queue(
                HTTPProblems.busy(maxInflight: limiter.limit, maxQueue: limiter.maxQueue, maxQueueBytes: limiter.maxQueueBytes),
                on: connection, state: state)
        }
        guard shutdown.beginComputation() else {
            return ResponseQueueing.queue(HTTPProblems.shuttingDown(), on: connection, state: state)
        }
        state.tracked = true
        state.phase = .computing
        // The only reference to the body from here on, so the computation can free it once
        // parsed instead of holding it until the answer is sent.
        let body = RequestBody(state.body)
        let bytes = state.body.count
        let arrived = ContinuousClock.now
        state.body = []
        MHD_suspend_connection(connection)
        let handle = ConnectionHandle(pointer: connection)
        let respond = self.respond
        let format = state.graphFormat
        let gzip = state.acceptsGzip
        let shutdown = self.shutdown
        logger.debug("computation queued method=\(state.method) path=\(RequestLog.sanitize(state.path)) bytes=\(bytes)")
        limiter.submit(bytes: bytes) {
            // Compressed here, on the computation's thread, not on the polling thread.
            let response = ContentCoding.encode(Operability.finish(respond(endpoint, &body.bytes, arrived), format: format), acceptsGzip: gzip)
            state.setComputed(response)
            MHD_resume_connection(handle.pointer)
            shutdown.endComputation()
        }
        return .YES
    }

    /// The request is over (answered, or the client went away): log it, settle accounting.
    func complete(_ state: ConnectionState, ending: String?) {
        if state.tracked { shutdown.endAnswer() }
        operability.complete(state, ending: ending, logger: logger)
    }

    private func header(_ connection: OpaquePointer, _ name: String) -> String? {
        MHD_lookup_connection_value(connection, .HEADER_KIND, name).map { String(cString: $0) }
    }
}

/// A request body handed to its computation, which may take the bytes out
/// (`RequestHandler.Responder`). Only that computation's thread touches it.
final class RequestBody: @unchecked Sendable {
    var bytes: [UInt8]
    init(_ bytes: [UInt8]) { self.bytes = bytes }
}

import AutogradGraph
import Dispatch
import GzipCoding
import Synchronization

/// One request's state across libmicrohttpd's repeated access-handler calls. MHD keeps a
/// retained pointer to it in `*con_cls`; the request-completed callback releases it.
///
/// `@unchecked Sendable`: every stored property except `computed` is touched only on
/// MHD's polling thread (MHD calls the access handler and the completed callback for a
/// connection from that one thread). `computed` crosses from the computation queue to the
/// polling thread and is guarded by a mutex.
final class ConnectionState: @unchecked Sendable {
    enum Phase {
        /// Collecting the body of a graph request.
        case receiving(Endpoint)
        /// Decided on the first call for a request without a body; queued on the final
        /// call, so the connection can stay open for the next request.
        case deferred(Response)
        /// Answered before the body was read (`EarlyRejection`): the rest of the body is
        /// read and dropped within the linger bounds; then the connection is closed, or,
        /// if the answer could not be written yet (`pending`), it is queued.
        case lingering(pending: Response?)
        /// Suspended while `GraphService` runs.
        case computing
        /// A response is queued; nothing more to do.
        case answered
    }

    let method: String
    let path: String
    /// `HTTP/1.1` or `HTTP/1.0`.
    let version: String
    /// `Access-Control-*` headers every answer carries (`CORSPolicy`), set from `Origin`.
    var corsHeaders: [(name: String, value: String)] = []
    let started = DispatchTime.now()
    var phase: Phase = .answered
    var body: [UInt8] = []
    /// Body bytes seen so far, counted even when they are being discarded.
    var received = 0
    /// When the early answer went out (`.lingering`), and the body bytes dropped since.
    var lingerSince = DispatchTime.now()
    var dropped = 0
    /// Answered before the body was read (metrics, and `body=dropped` in the log line).
    var answeredEarly = false
    /// Status and body size of the queued response, for the request log.
    var status: Int?
    var responseBytes = 0
    /// Counted by the shutdown accounting between suspension and completion.
    var tracked = false
    /// `X-Request-Id` of the answer and `id=` of the log line (`RequestID`).
    var requestID = ""
    /// `X-Served-By` of the answer: the server's instance id.
    var servedBy = ""
    /// Set from the answer of a graph request that got as far as a plan (metrics).
    var graphSize: GraphSize?
    /// Set for a `Content-Encoding: gzip` body while it arrives (`ContentCoding`).
    var inflater: GzipInflater?
    /// The client's `Accept-Encoding` allows a gzip answer (`ContentCoding.acceptsGzip`).
    var acceptsGzip = false
    /// `POST /graph`: what to answer in.
    var graphFormat = GraphFormat.dot

    private let computed = Mutex<Response?>(nil)

    init(method: String, path: String, version: String = "HTTP/1.1") {
        self.method = method
        self.path = path
        self.version = version
    }

    /// Called on the computation queue before the connection is resumed.
    func setComputed(_ response: Response) {
        computed.withLock { $0 = response }
    }

    /// Called on the polling thread after resumption.
    func takeComputed() -> Response? {
        computed.withLock { computed in
            defer { computed = nil }
            return computed
        }
    }

    var elapsedMilliseconds: Double {
        Double(DispatchTime.now().uptimeNanoseconds &- started.uptimeNanoseconds) / 1_000_000
    }
}

/// A libmicrohttpd connection handle carried to the computation queue, which only passes
/// it to `MHD_resume_connection` (documented thread-safe with MHD_ALLOW_SUSPEND_RESUME).
struct ConnectionHandle: @unchecked Sendable {
    let pointer: OpaquePointer
}

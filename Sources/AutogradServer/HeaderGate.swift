import AutogradGraph
import CMicroHTTPD
import Dispatch
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The server's front door on plain HTTP: it accepts connections itself, looks at each
/// connection's first request header block without consuming it (`MSG_PEEK`), and hands
/// the socket to libmicrohttpd (a daemon with MHD_USE_NO_LISTEN_SOCKET) — or, if the
/// block is one libmicrohttpd 0.9.75 would answer itself, answers it here.
///
/// Why: libmicrohttpd answers a malformed `Content-Length` (`abc`, `-1`, `+389`, empty),
/// an oversized one, an HTTP version other than 1.x, an over-long request line and an
/// oversized header block before the server's code sees the request, in HTML, and for
/// `Content-Length` writes its header block twice (a client reads the second as the first
/// answer's body). Here each becomes one problem+json answer with `Connection: close`,
/// followed by a lingering close (`EarlyRejection.Linger`).
///
/// Bounds: a connection waits here at most `graceSeconds` for its first header block
/// (clients send it right after connecting); one that is slower, or idle, is handed over
/// as it is, and libmicrohttpd's timeouts and `SlowClientSweeper` take it from there (its
/// first request is then checked as a later one). Later requests of a keep-alive connection
/// are checked on libmicrohttpd's thread as they arrive (`checkLater`, called from the
/// shim's recv, CMicroHTTPD.h "Later requests"): a refused one is answered there and its
/// connection comes back here to linger (`adopted`). Connections waiting here count toward
/// `--max-connections`: at the limit the gate stops accepting, as libmicrohttpd does, and
/// new clients wait in the backlog.
///
/// One thread of its own, polling; `@unchecked Sendable`: `waiting` is touched only on
/// that thread, `stopping` and `adopted` are guarded by `lock`.
final class HeaderGate: RequestBlockChecker, @unchecked Sendable {
    private struct Waiting {
        let fd: Int32
        let since: UInt64
        /// Set once answered here: the rest of the request is being read and dropped.
        var lingering: ConnectionState?
        var lastByte: UInt64 = 0
    }

    /// Longest header block inspected; a longer one is answered 414 or 431. Below
    /// libmicrohttpd's own limit (its per-connection memory pool, 32 KiB by default).
    static let maxHeaderBytes = Int(CMHD_FRAMING_HEAD_MAX)
    static let graceSeconds = 0.25

    let port: Int
    private let listenFD: Int32
    private let wakeFDs: (read: Int32, write: Int32)
    private let handler: RequestHandler
    private let maxConnections: Int
    private var daemon: OpaquePointer?
    private var waiting: [Waiting] = []
    private let lock = NSLock()
    private var stopping = false
    /// Connections answered on libmicrohttpd's thread, to linger here.
    private var adopted: [Waiting] = []
    private let stopped = DispatchSemaphore(value: 0)

    /// Binds and listens; `start(daemon:)` begins accepting.
    init(host: String, port: Int, handler: RequestHandler, maxConnections: Int) throws {
        var bound: UInt16 = 0
        let fd = cmhd_listen(host, UInt16(port), 4096, &bound)
        guard fd >= 0 else { throw ServerError.startFailed(host: host, port: port, errno: errno) }
        var pipeFDs: [Int32] = [0, 0]
        guard pipe(&pipeFDs) == 0 else {
            close(fd)
            throw ServerError.startFailed(host: host, port: port, errno: errno)
        }
        for end in pipeFDs { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
        self.listenFD = fd
        self.wakeFDs = (pipeFDs[0], pipeFDs[1])
        self.port = Int(bound)
        self.handler = handler
        self.maxConnections = maxConnections
    }

    func start(daemon: OpaquePointer) {
        self.daemon = daemon
        let thread = Thread { [self] in run() }
        thread.name = "autograd-server.gate"
        thread.start()
    }

    /// Stops accepting (connecting is refused from now on), closes what waits here, and
    /// returns once the thread is gone. Idempotent.
    func stop() {
        lock.lock()
        let first = !stopping
        stopping = true
        lock.unlock()
        guard first else { return }
        if daemon == nil {
            close(listenFD)
        } else {
            var byte: UInt8 = 1
            _ = write(wakeFDs.write, &byte, 1)
            stopped.wait()
        }
        close(wakeFDs.read)
        close(wakeFDs.write)
    }

    private var isStopping: Bool {
        lock.lock()
        defer { lock.unlock() }
        return stopping
    }

    private static var now: UInt64 { DispatchTime.now().uptimeNanoseconds }

    private func run() {
        while !isStopping {
            let accepting = Int(cmhd_current_connections(daemon)) + waiting.count < maxConnections
            var fds = [pollfd(fd: wakeFDs.read, events: Int16(POLLIN), revents: 0)]
            if accepting { fds.append(pollfd(fd: listenFD, events: Int16(POLLIN), revents: 0)) }
            fds += waiting.map { pollfd(fd: $0.fd, events: Int16(POLLIN), revents: 0) }
            // Waiting connections have deadlines; at the connection limit, look again soon.
            let timeout: Int32 = waiting.isEmpty && accepting ? 1000 : 20
            let ready = poll(&fds, nfds_t(fds.count), timeout)
            if ready < 0 && errno != EINTR { break }
            if fds[0].revents != 0 {
                var bytes = [UInt8](repeating: 0, count: 64)
                _ = read(wakeFDs.read, &bytes, bytes.count)
                lock.lock()
                let (stop, more) = (stopping, adopted)
                adopted = []
                lock.unlock()
                if stop {
                    for entry in more {
                        if let state = entry.lingering { finish(entry.fd, state: state) } else { close(entry.fd) }
                    }
                    break
                }
                waiting += more
                continue
            }
            if accepting && fds[1].revents != 0 { acceptAll() }
            let offset = accepting ? 2 : 1
            let readable = Set(fds[offset...].filter { $0.revents != 0 }.map(\.fd))
            waiting = waiting.compactMap { step($0, readable: readable.contains($0.fd)) }
        }
        close(listenFD)
        for entry in waiting { close(entry.fd) }
        waiting = []
        stopped.signal()
    }

    private func acceptAll() {
        while Int(cmhd_current_connections(daemon)) + waiting.count < maxConnections {
            let fd = cmhd_accept(listenFD)
            guard fd >= 0 else { return }
            waiting.append(Waiting(fd: fd, since: Self.now))
        }
    }

    /// One waiting connection: kept (returned), or handed over / closed (nil).
    private func step(_ entry: Waiting, readable: Bool) -> Waiting? {
        if let state = entry.lingering { return linger(entry, state: state, readable: readable) }
        if readable {
            switch inspect(entry.fd) {
            case .wait: break
            case .close:
                close(entry.fd)
                return nil
            case .handOver:
                handOver(entry.fd)
                return nil
            case .answer(let response, let state, let wire):
                return answer(entry, response, state: state, wire: wire)
            }
        }
        if Double(Self.now &- entry.since) > Self.graceSeconds * 1e9 {
            handOver(entry.fd)
            return nil
        }
        return entry
    }

    /// Gives `fd` to libmicrohttpd, its requests followed from the first byte on.
    private func handOver(_ fd: Int32) {
        cmhd_framing_watch(fd, requestBlockCheck, checkContext)
        _ = cmhd_add_connection(daemon, fd)
    }

    /// A later request's request line or header block on `fd` (libmicrohttpd's thread, from
    /// the shim's recv): true when it is refused, answered on a duplicate of the socket,
    /// which lingers here; libmicrohttpd then reads end-of-stream and closes its own.
    func checkLater(fd: Int32, bytes: [UInt8], kind: Int32) -> Bool {
        let outcome = HeaderBlock.outcome(of: bytes, kind: kind, maxBodyBytes: handler.maxBodyBytes)
        guard case .refuse(let response, let method, let target, let version) = outcome else { return false }
        let copy = fcntl(fd, F_DUPFD_CLOEXEC, 0)
        guard copy >= 0 else { return false }  // libmicrohttpd answers it, as it would
        let (state, wire) = handler.refusal(response, method: method, target: target, version: version, block: bytes)
        guard let lingering = answer(Waiting(fd: copy, since: Self.now), response, state: state, wire: wire) else { return true }
        lock.lock()
        let stop = stopping
        if !stop { adopted.append(lingering) }
        lock.unlock()
        if stop {
            finish(copy, state: state)
        } else {
            var byte: UInt8 = 0
            _ = write(wakeFDs.write, &byte, 1)
        }
        return true
    }

    private enum Decision {
        case wait, close, handOver
        case answer(Response, ConnectionState, [UInt8])
    }

    private func inspect(_ fd: Int32) -> Decision {
        var buffer = [UInt8](repeating: 0, count: Self.maxHeaderBytes + 1)
        let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, Int32(MSG_PEEK | MSG_DONTWAIT)) }
        if count == 0 { return .close }
        if count < 0 { return errno == EAGAIN || errno == EINTR ? .wait : .close }
        let bytes = Array(buffer[..<count])
        switch HeaderBlock.problem(in: bytes, truncated: count > Self.maxHeaderBytes, maxBodyBytes: handler.maxBodyBytes) {
        case .incomplete: return .wait
        case .fine: return .handOver
        case .refuse(let response, let method, let target, let version):
            let (state, wire) = handler.refusal(response, method: method, target: target, version: version, block: bytes)
            return .answer(response, state, wire)
        }
    }

    /// Sends `wire` (`response`'s bytes, `RequestHandler.refusal`) and starts lingering.
    private func answer(_ entry: Waiting, _ response: Response, state: ConnectionState, wire bytes: [UInt8]) -> Waiting? {
        state.lingerSince = .now()
        let sent = bytes.withUnsafeBytes { send(entry.fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL | MSG_DONTWAIT)) }
        guard sent == bytes.count else {
            finish(entry.fd, state: state)
            return nil
        }
        shutdown(entry.fd, Int32(SHUT_WR))
        state.status = response.status
        state.responseBytes = response.body.count
        var lingering = entry
        lingering.lingering = state
        lingering.lastByte = Self.now
        return lingering
    }

    /// Reads and drops what the client still sends, within the linger bounds.
    private func linger(_ entry: Waiting, state: ConnectionState, readable: Bool) -> Waiting? {
        let bounds = handler.linger
        var entry = entry
        if readable {
            var buffer = [UInt8](repeating: 0, count: 64 * 1024)
            let count = buffer.withUnsafeMutableBytes { recv(entry.fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
            if count <= 0 && !(count < 0 && (errno == EAGAIN || errno == EINTR)) {
                finish(entry.fd, state: state)
                return nil
            }
            if count > 0 {
                state.dropped += count
                state.received += count
                entry.lastByte = Self.now
            }
        }
        let silent = Double(Self.now &- entry.lastByte) > Double(bounds.timeoutSeconds) * 1e9
        guard !silent, bounds.allows(dropped: state.dropped, since: state.lingerSince) else {
            finish(entry.fd, state: state)
            return nil
        }
        return entry
    }

    private func finish(_ fd: Int32, state: ConnectionState) {
        close(fd)
        handler.complete(state, ending: nil)
    }
}

extension RequestHandler {
    /// A request refused below the router (`HeaderBlock`): its state (CORS for the block's
    /// `Origin`), begun and marked as answered early, and its answer's bytes.
    func refusal(_ response: Response, method: String, target: String, version: String, block: [UInt8]) -> (state: ConnectionState, wire: [UInt8]) {
        let state = ConnectionState(method: method, path: Router.path(ofTarget: target), version: version)
        state.corsHeaders = cors.responseHeaders(origin: HeaderBlock.field("Origin", in: block))
        operability.begin(state, requestIDHeader: nil)
        state.answeredEarly = true
        return (state, EarlyRejection.wireBytes(response, extraHeaders: state.identityHeaders(for: response)))
    }
}

/// What checks a request line or header block the shim hands over (`cmhd_block_check`):
/// `HeaderGate` on plain HTTP, `ConnectionWatch` over TLS. True when refused and answered.
protocol RequestBlockChecker: AnyObject {
    func checkLater(fd: Int32, bytes: [UInt8], kind: Int32) -> Bool
}

extension RequestBlockChecker {
    /// `cls` for `requestBlockCheck`: this checker, unretained (the `HTTPServer` keeps it
    /// until after MHD_stop_daemon).
    var checkContext: UnsafeMutableRawPointer { Unmanaged.passUnretained(self as AnyObject).toOpaque() }
}

/// `cmhd_block_check`: the `RequestBlockChecker` in `cls`.
func requestBlockCheck(
    cls: UnsafeMutableRawPointer?, fd: Int32, block: UnsafePointer<UInt8>?, length: Int, kind: Int32
) -> Int32 {
    guard let cls, let block,
          let checker = Unmanaged<AnyObject>.fromOpaque(cls).takeUnretainedValue() as? RequestBlockChecker
    else { return 0 }
    return checker.checkLater(fd: fd, bytes: Array(UnsafeBufferPointer(start: block, count: length)), kind: kind) ? 1 : 0
}

/// The checks `HeaderGate` makes on a first header block: the ones libmicrohttpd 0.9.75
/// would otherwise answer itself.
enum HeaderBlock {
    enum Outcome {
        /// The block has not fully arrived.
        case incomplete
        /// Nothing libmicrohttpd would refuse on its own.
        case fine
        case refuse(Response, method: String, target: String, version: String)
    }

    static func problem(in bytes: [UInt8], truncated: Bool, maxBodyBytes: Int) -> Outcome {
        // Empty lines before the request line are allowed (RFC 9112 §2.2).
        var start = 0
        while start < bytes.count, bytes[start] == UInt8(ascii: "\r") || bytes[start] == UInt8(ascii: "\n") { start += 1 }
        guard let end = blockEnd(bytes, from: start) else {
            guard truncated else { return .incomplete }
            let firstLineEnds = bytes[start...].contains(UInt8(ascii: "\n"))
            return .refuse(
                firstLineEnds ? HTTPProblems.headersTooLarge(limit: HeaderGate.maxHeaderBytes)
                    : HTTPProblems.uriTooLong(limit: HeaderGate.maxHeaderBytes),
                method: "-", target: "-", version: "HTTP/1.1")
        }
        // Split as bytes: as a String, "\r\n" is one Character and would not split at "\n".
        let lines = bytes[start..<end].split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
            .map { String(decoding: $0.last == UInt8(ascii: "\r") ? $0.dropLast() : $0, as: UTF8.self)[...] }
        guard let requestLine = lines.first else { return .fine }
        let parsed = Self.requestLine(requestLine)
        guard case .success(let (method, target, _)) = parsed else {
            if case .failure(let refusal) = parsed { return refusal.outcome }
            return .fine
        }
        let refuse = { (response: Response) in Outcome.refuse(response, method: method, target: target, version: "HTTP/1.1") }
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":"),
                  line[..<colon].lowercased() == "content-length" else { continue }
            let value = line[line.index(after: colon)...].trimmingWhitespace()
            guard !value.isEmpty, value.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else {
                return refuse(HTTPProblems.badContentLength(String(value)))
            }
            if UInt64(value) == nil || UInt64(value) == UInt64.max {
                return refuse(HTTPProblems.contentTooLarge(limit: maxBodyBytes))
            }
        }
        return .fine
    }

    /// What the shim asks about a later request (`cmhd_block_check`'s `kind`).
    static func outcome(of bytes: [UInt8], kind: Int32, maxBodyBytes: Int) -> Outcome {
        kind == CMHD_BLOCK_REQUEST_LINE
            ? requestLineProblem(in: bytes)
            : problem(in: bytes, truncated: kind == CMHD_BLOCK_TOO_LONG, maxBodyBytes: maxBodyBytes)
    }

    /// The request line's problem, if any, once its line has ended (libmicrohttpd 0.9.75
    /// answers an unknown version as soon as it has the line, before the block ends).
    static func requestLineProblem(in bytes: [UInt8]) -> Outcome {
        var start = 0
        while start < bytes.count, bytes[start] == UInt8(ascii: "\r") || bytes[start] == UInt8(ascii: "\n") { start += 1 }
        guard let newline = bytes[start...].firstIndex(of: UInt8(ascii: "\n")) else { return .incomplete }
        let line = bytes[start..<newline]
        let text = String(decoding: line.last == UInt8(ascii: "\r") ? line.dropLast() : line, as: UTF8.self)
        if case .failure(let refusal) = requestLine(text[...]) { return refusal.outcome }
        return .fine
    }

    private struct Refusal: Error {
        let outcome: Outcome
    }

    /// `METHOD SP target SP HTTP/1.x`, or the refusal libmicrohttpd's answer becomes.
    private static func requestLine(_ line: Substring) -> Result<(String, String, String), Refusal> {
        let parts = line.split(separator: " ", omittingEmptySubsequences: false)
        guard parts.count == 3, !parts[0].isEmpty, !parts[1].isEmpty else {
            return .failure(Refusal(outcome: .refuse(HTTPProblems.badRequestLine(), method: "-", target: "-", version: "HTTP/1.1")))
        }
        let method = String(parts[0]), target = String(parts[1]), version = String(parts[2])
        let refuse = { (response: Response) in Refusal(outcome: .refuse(response, method: method, target: target, version: "HTTP/1.1")) }
        guard version.hasPrefix("HTTP/"), version.count == 8 else { return .failure(refuse(HTTPProblems.badRequestLine())) }
        guard version.hasPrefix("HTTP/1.") else { return .failure(refuse(HTTPProblems.versionNotSupported(version))) }
        return .success((method, target, version))
    }

    /// The first field `name` (case-insensitive) of a header block, trimmed, or nil.
    static func field(_ name: String, in bytes: [UInt8]) -> String? {
        let wanted = name.lowercased()
        for line in bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).dropFirst() {
            let text = String(decoding: line.last == UInt8(ascii: "\r") ? line.dropLast() : line, as: UTF8.self)
            if text.isEmpty { break }
            guard let colon = text.firstIndex(of: ":"), text[..<colon].lowercased() == wanted else { continue }
            return String(text[text.index(after: colon)...].trimmingWhitespace())
        }
        return nil
    }

    /// The index where the header block's final empty line begins, or nil.
    private static func blockEnd(_ bytes: [UInt8], from start: Int) -> Int? {
        var i = start
        while i + 1 < bytes.count {
            if bytes[i] == UInt8(ascii: "\n") {
                if bytes[i + 1] == UInt8(ascii: "\n") { return i }
                if bytes[i + 1] == UInt8(ascii: "\r"), i + 2 < bytes.count, bytes[i + 2] == UInt8(ascii: "\n") { return i }
            }
            i += 1
        }
        return nil
    }
}

import CMicroHTTPD
import Dispatch
import Foundation
import Logging

#if canImport(Glibc)
import Glibc
#endif

/// Closes connections that take longer than `--request-read-timeout` to send a whole
/// request. libmicrohttpd 0.9.75 only has an inactivity timeout, so a client trickling a
/// byte a second would hold its connection (and its per-IP slot) for as long as it likes.
///
/// The clock of a connection runs from its accept, or from the end of its previous request
/// (keep-alive), until its request has been read in full (headers and body); it stops while
/// the request computes and its answer is sent. A timer checks every `interval`; an
/// overdue connection gets a best-effort 408 (plain HTTP only: under TLS the bytes would
/// have to be encrypted) and `shutdown(2)` on its socket, which MHD sees as the client
/// going away and cleans up on its own thread.
///
/// Safe against descriptor reuse: MHD reports a connection closed
/// (MHD_CONNECTION_NOTIFY_CLOSED) before it closes the socket, and that notification
/// removes the entry under the same lock the sweep holds while calling `shutdown`.
///
/// `@unchecked Sendable`: `entries` and `timer` are guarded by `lock`.
final class SlowClientSweeper: @unchecked Sendable {
    private struct Entry {
        let fd: Int32
        var since: UInt64
        var armed: Bool
    }

    let limitSeconds: Double
    let writesTimeoutAnswer: Bool
    let logger: Logger
    private let lock = NSLock()
    private var entries: [UInt: Entry] = [:]
    private var timer: DispatchSourceTimer?

    init(limitSeconds: Double, writesTimeoutAnswer: Bool, logger: Logger) {
        self.limitSeconds = limitSeconds
        self.writesTimeoutAnswer = writesTimeoutAnswer
        self.logger = logger
    }

    private static func key(_ connection: OpaquePointer) -> UInt { UInt(bitPattern: Int(bitPattern: UnsafeRawPointer(connection))) }
    private static var now: UInt64 { DispatchTime.now().uptimeNanoseconds }

    // Polling thread (MHD callbacks).

    func opened(_ connection: OpaquePointer) {
        let fd = cmhd_connection_fd(connection)
        guard fd >= 0 else { return }
        lock.lock()
        entries[Self.key(connection)] = Entry(fd: fd, since: Self.now, armed: true)
        lock.unlock()
    }

    func closed(_ connection: OpaquePointer) {
        lock.lock()
        entries[Self.key(connection)] = nil
        lock.unlock()
    }

    /// The request is in: stop the clock until it has been answered.
    func requestRead(_ connection: OpaquePointer) {
        lock.lock()
        entries[Self.key(connection)]?.armed = false
        lock.unlock()
    }

    /// Answered: the next request on this connection gets a fresh clock.
    func requestDone(_ connection: OpaquePointer) {
        lock.lock()
        if var entry = entries[Self.key(connection)] {
            entry.since = Self.now
            entry.armed = true
            entries[Self.key(connection)] = entry
        }
        lock.unlock()
    }

    // Timer.

    /// Closes every overdue connection; returns how many.
    @discardableResult
    func sweep() -> Int {
        let limit = UInt64(limitSeconds * 1e9)
        let now = Self.now
        var closed = 0
        lock.lock()
        for (key, entry) in entries where entry.armed && now &- entry.since > limit {
            entries[key]?.armed = false
            if writesTimeoutAnswer {
                let bytes = EarlyRejection.wireBytes(HTTPProblems.requestTimeout(seconds: limitSeconds))
                _ = bytes.withUnsafeBytes { send(entry.fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL | MSG_DONTWAIT)) }
            }
            shutdown(entry.fd, Int32(SHUT_RDWR))
            closed += 1
        }
        lock.unlock()
        if closed > 0 {
            logger.notice("closed \(closed) connection(s) that sent no complete request within \(limitSeconds) s")
        }
        return closed
    }

    var interval: Double { min(1, max(0.05, limitSeconds / 4)) }

    func start() {
        let timer = DispatchSource.makeTimerSource(queue: DispatchQueue(label: "autograd-server.sweeper"))
        timer.schedule(deadline: .now() + interval, repeating: interval, leeway: .milliseconds(20))
        timer.setEventHandler { [weak self] in self?.sweep() }
        lock.lock()
        self.timer = timer
        lock.unlock()
        timer.resume()
    }

    func stop() {
        lock.lock()
        let timer = self.timer
        self.timer = nil
        lock.unlock()
        timer?.cancel()
    }
}

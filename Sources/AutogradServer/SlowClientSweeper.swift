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
/// The clock of a connection runs from the first byte of a request until the request has
/// been read in full (headers and body); it stops while the request computes and its
/// answer is sent. A connection idle between requests (or after its accept) is not timed
/// here: libmicrohttpd closes it silently after `--connection-timeout`, as nginx does at
/// `keepalive_timeout`. MHD does not say when a request begins, so a timer checks every
/// `interval` whether the kernel has received bytes on an idle connection since its last
/// answer (`cmhd_socket_bytes_received`) and starts the clock then (up to `interval`
/// late). An overdue connection gets a best-effort 408 (plain HTTP only: under TLS the
/// bytes would have to be encrypted) and `shutdown(2)` on its socket, which MHD sees as
/// the client going away and cleans up on its own thread.
///
/// Safe against descriptor reuse: MHD reports a connection closed
/// (MHD_CONNECTION_NOTIFY_CLOSED) before it closes the socket, and that notification
/// removes the entry under the same lock the sweep holds while calling `shutdown`.
///
/// `@unchecked Sendable`: `entries` and `timer` are guarded by `lock`.
final class SlowClientSweeper: @unchecked Sendable {
    private struct Entry {
        enum Clock {
            /// Between requests: bytes received up to the last answer (-1: unknown, so
            /// the next request counts as begun at once).
            case idle(baseline: Int64)
            /// A request is arriving, since this instant.
            case reading(since: UInt64)
            /// Read in full; computing or answering.
            case stopped
        }
        let fd: Int32
        var clock: Clock
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
        entries[Self.key(connection)] = Entry(fd: fd, clock: .idle(baseline: 0))
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
        entries[Self.key(connection)]?.clock = .stopped
        lock.unlock()
    }

    /// Answered: the connection is idle until bytes of a next request arrive.
    func requestDone(_ connection: OpaquePointer) {
        lock.lock()
        if let fd = entries[Self.key(connection)]?.fd {
            entries[Self.key(connection)]?.clock = .idle(baseline: cmhd_socket_bytes_received(fd))
        }
        lock.unlock()
    }

    // Timer.

    /// Closes every overdue connection; returns how many.
    @discardableResult
    func sweep() -> Int {
        let limit = UInt64(limitSeconds * 1e9)
        var closed = 0
        lock.lock()
        // The clock is read under the lock, so no stamp can be later than `now`; `overdue`
        // would not be fooled by one either (see there).
        let now = Self.now
        for (key, entry) in entries {
            switch entry.clock {
            case .idle(let baseline):
                if baseline < 0 || cmhd_socket_bytes_received(entry.fd) > baseline {
                    entries[key]?.clock = .reading(since: now)
                }
                continue
            case .reading(let since) where Self.overdue(since: since, now: now, limit: limit):
                break
            case .reading, .stopped:
                continue
            }
            entries[key]?.clock = .stopped
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

    /// Whether a request that began arriving at `since` is past `limit` at `now` (all in
    /// nanoseconds). A `since` later than `now` is not overdue: the sweeper of version 0.1
    /// read its clock before taking the lock and computed `now &- since`, so a connection
    /// stamped by libmicrohttpd's thread in between (an answer just sent) wrapped to an
    /// age of about 2^64 ns and got an unsolicited 408 — the 408 `make load` once saw
    /// (docs/performance.md, "The 408 make load once saw").
    static func overdue(since: UInt64, now: UInt64, limit: UInt64) -> Bool {
        now > since && now - since > limit
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

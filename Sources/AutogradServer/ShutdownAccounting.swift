import Foundation

/// Counts the requests a graceful stop must wait for. libmicrohttpd's `MHD_stop_daemon` is
/// undefined with suspended connections, so `stop()` first waits until every suspended
/// connection has been resumed (`computing == 0`), then, up to a grace period, until every
/// resumed one has finished sending (`answering == 0`).
///
/// `@unchecked Sendable`: all state is guarded by `condition`.
final class ShutdownAccounting: @unchecked Sendable {
    private let condition = NSCondition()
    private var accepting = true
    private var computing = 0
    private var answering = 0

    /// Polling thread, before suspending: false once stopping, so no new suspension can
    /// start after `stopAccepting()` — which makes waiting for zero race-free.
    func beginComputation() -> Bool {
        condition.lock()
        defer { condition.unlock() }
        guard accepting else { return false }
        computing += 1
        answering += 1
        return true
    }

    /// Computation queue, after `MHD_resume_connection`.
    func endComputation() {
        condition.lock()
        computing -= 1
        condition.broadcast()
        condition.unlock()
    }

    /// Polling thread, in the completed callback of a connection that began a computation.
    func endAnswer() {
        condition.lock()
        answering -= 1
        condition.broadcast()
        condition.unlock()
    }

    /// False once stopping: a request with a body is then refused from its headers.
    var isAccepting: Bool {
        condition.lock()
        defer { condition.unlock() }
        return accepting
    }

    func stopAccepting() {
        condition.lock()
        accepting = false
        condition.unlock()
    }

    /// Blocks until no connection is suspended, or `deadline`; false on timeout.
    func waitForComputations(until deadline: Date = .distantFuture) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while computing > 0 {
            if !condition.wait(until: deadline) { return computing == 0 }
        }
        return true
    }

    /// Blocks until every answered request completed, or `deadline`; false on timeout.
    @discardableResult
    func waitForAnswers(until deadline: Date) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while answering > 0 {
            if !condition.wait(until: deadline) { return answering == 0 }
        }
        return true
    }
}

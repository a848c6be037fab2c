import Autograd
import Dispatch
import Synchronization

/// With `MemoryPolicy.keepFreedBuffers()` a process keeps freed buffers for the next
/// computation, which spares `/train` a page fault per page of every large buffer at every
/// step, but its resident size then stays near its peak. Called by the compute limiter
/// each time the last running computation finishes, this gives the free memory back
/// (`MemoryPolicy.releaseFreedMemory()`) once the server has stayed idle for `quiet`
/// seconds: a busy server keeps its buffers (trimming between the requests of a busy
/// client costs it the faults again: measured, 3.1–3.4 ms against 2.1–2.4 ms per `/train`
/// step), an idle one shrinks. One timer at most is pending.
final class IdleMemoryRelease: Sendable {
    let quiet: Double
    /// Idle events so far; the timer trims only if none came since it was set.
    private let idleEvents = Atomic<UInt64>(0)
    private let pending = Atomic<Bool>(false)

    init(quietSeconds: Double = 0.5) {
        quiet = quietSeconds
    }

    func callAsFunction() {
        let event = idleEvents.add(1, ordering: .relaxed).newValue
        guard pending.compareExchange(expected: false, desired: true, ordering: .relaxed).exchanged else { return }
        schedule(after: event)
    }

    private func schedule(after event: UInt64) {
        DispatchQueue.global(qos: .utility).asyncAfter(deadline: .now() + quiet) { [self] in
            let now = idleEvents.load(ordering: .relaxed)
            if now != event {
                // Computations ran meanwhile: wait for a quiet interval after the last.
                schedule(after: now)
                return
            }
            pending.store(false, ordering: .relaxed)
            // A computation started since the last idle event: its finish will call again.
            if ThreadBudget.runningComputations == 0 { MemoryPolicy.releaseFreedMemory() }
        }
    }
}

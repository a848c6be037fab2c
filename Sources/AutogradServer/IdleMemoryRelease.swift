import Autograd
import Dispatch
import Synchronization

/// With `MemoryPolicy.keepFreedBuffers()` a process keeps freed buffers for the next
/// computation, which spares `/train` a page fault per page of every large buffer at every
/// step, but its resident size then stays near its peak. Called by the compute limiter
/// when the last running computation finishes, this gives the free memory back
/// (`MemoryPolicy.releaseFreedMemory()`), at most once per `interval`, so a busy server
/// keeps its buffers while it is busy and an idle one shrinks.
final class IdleMemoryRelease: Sendable {
    let interval: UInt64
    private let last = Atomic<UInt64>(0)

    init(intervalSeconds: Double = 1) {
        interval = UInt64(intervalSeconds * 1e9)
    }

    func callAsFunction() {
        let now = DispatchTime.now().uptimeNanoseconds
        let previous = last.load(ordering: .relaxed)
        guard now &- previous >= interval,
              last.compareExchange(expected: previous, desired: now, ordering: .relaxed).exchanged
        else { return }
        MemoryPolicy.releaseFreedMemory()
    }
}

import Dispatch
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// How many threads one computation may use, for its elementwise loops (`Parallel`) and
/// its BLAS calls. A server running k computations at once on c cores gives each c / k,
/// so that BLAS threads, compute workers and requests do not oversubscribe the machine.
public enum ThreadBudget {
    private static let threads = Atomic<Int>(Parallel.cores)

    /// Threads per computation (at least 1). Sets OpenBLAS's thread count too.
    public static var threadsPerComputation: Int {
        get { threads.load(ordering: .relaxed) }
        set {
            let n = max(1, newValue)
            threads.store(n, ordering: .relaxed)
            BLAS.setThreads(n)
        }
    }
}

/// Splits large elementwise loops over the thread budget. Every element is computed by
/// the same code whichever chunk it falls in, so results do not depend on the split or on
/// thread timing; reductions use `forEachBlock`, whose blocks are fixed.
enum Parallel {
    /// The machine's online cores.
    static let cores: Int = max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))

    /// Loops over fewer elements stay on the calling thread: waking a second thread costs
    /// a few microseconds, more than it saves below this size.
    static let minimumElements = 1 << 16

    /// Calls `body(start, end)` on disjoint ranges covering `0..<n`, concurrently when `n`
    /// is at least `parallelFrom`. Inner boundaries are multiples of `alignment` (64
    /// elements: whole cache lines, so two threads never write one line).
    @inline(__always)
    static func forEachRange(
        _ n: Int, parallelFrom threshold: Int = minimumElements, alignment: Int = 64,
        _ body: (Int, Int) -> Void
    ) {
        let workers = Swift.min(ThreadBudget.threadsPerComputation, n / Swift.max(1, alignment))
        guard n >= threshold && workers > 1 else {
            body(0, n)
            return
        }
        // concurrentPerform returns after every iteration has run, so `body` does not
        // really escape, and each iteration touches only its own range.
        withoutActuallyEscaping(body) { body in
            let shared = UncheckedSendable(body)
            DispatchQueue.concurrentPerform(iterations: workers) { p in
                let start = p == 0 ? 0 : (n * p / workers) / alignment * alignment
                let end = p == workers - 1 ? n : (n * (p + 1) / workers) / alignment * alignment
                shared.value(start, end)
            }
        }
    }

    /// Calls `body(item)` once for every item of `0..<n`, concurrently on up to the thread
    /// budget's threads when `n` is at least `parallelFrom`. Each thread takes the next
    /// unclaimed item, so a core slowed by other work takes fewer: with a static split the
    /// whole loop would wait for the slow core's half. What an item computes must not
    /// depend on which thread runs it.
    static func forEachItem(_ n: Int, parallelFrom threshold: Int, _ body: (Int) -> Void) {
        let workers = Swift.min(ThreadBudget.threadsPerComputation, n)
        guard n >= threshold && workers > 1 else {
            for i in 0..<n { body(i) }
            return
        }
        let next = ItemCounter()
        withoutActuallyEscaping(body) { body in
            let shared = UncheckedSendable(body)
            DispatchQueue.concurrentPerform(iterations: workers) { _ in
                while true {
                    let i = next.value.add(1, ordering: .relaxed).oldValue
                    if i >= n { return }
                    shared.value(i)
                }
            }
        }
    }

    /// The block size of deterministic reductions: partial results per block, combined
    /// in block order, so a sum is the same bytes on any number of threads.
    static let reductionBlock = 1 << 14
}

/// A value handed to worker threads that only read it, or write disjoint parts of it.
struct UncheckedSendable<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}

/// The next item of `Parallel.forEachItem`, shared by its threads.
private final class ItemCounter: Sendable {
    let value = Atomic<Int>(0)
}

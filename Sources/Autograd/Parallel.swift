import Dispatch
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// How many threads one computation may use, for its elementwise loops (`Parallel`) and
/// its BLAS calls. The process's computations share ``threads`` (the machine's cores
/// unless set). A server registers each computation while it runs
/// (``computationStarted()`` and ``computationFinished()``), and each running computation
/// splits its elementwise loops over `threads / running` threads, at least one: a
/// computation running alone uses them all, and gives them back as soon as others start
/// (the share is read at every parallel loop, so it follows the load within a
/// computation). With no computation registered (in process), a computation uses all of
/// ``threads``.
///
/// BLAS calls always use ``threads``: OpenBLAS's results depend on its thread count (a
/// product on 1 and on 2 threads differs in the last bits: it blocks the inner dimension
/// differently), so a share that followed the load would make the same request answer
/// different bytes under different load. OpenBLAS's count is process-wide; concurrent
/// threaded products take turns. (oneDNN's float32 products run on one thread, `GEMM`.)
/// Elementwise loops and reductions do not depend on the
/// share: every element of a split loop is computed by the same code whichever chunk it
/// falls in, and reductions combine fixed blocks in block order (`ThreadBudgetTests`).
public enum ThreadBudget {
    private struct State {
        var threads = Parallel.cores
        var running = 0
        var share: Int { ThreadBudget.share(threads: threads, running: running) }
    }
    private static let state = Mutex(State())
    private static let share = Atomic<Int>(Parallel.cores)

    /// The threads the process's computations share (at least 1; default: the machine's
    /// online cores), and OpenBLAS's thread count, which setting it sets.
    public static var threads: Int {
        get { state.withLock { $0.threads } }
        set {
            let n = Swift.max(1, newValue)
            update { $0.threads = n }
            BLAS.setThreads(n)
        }
    }

    /// Threads the calling computation's elementwise loops may use now: ``threads``
    /// divided among the computations running (at least 1).
    public static var threadsPerComputation: Int { share.load(ordering: .relaxed) }

    /// Computations registered as running.
    public static var runningComputations: Int { state.withLock { $0.running } }

    /// Registers a computation as running (call before it starts): the share of the others
    /// shrinks from their next parallel loop on.
    public static func computationStarted() { update { $0.running += 1 } }

    /// Unregisters a computation registered by ``computationStarted()``; the threads it
    /// used go back to the ones still running.
    public static func computationFinished() { update { $0.running = Swift.max(0, $0.running - 1) } }

    /// Each of `running` computations' share of `threads`.
    static func share(threads: Int, running: Int) -> Int { Swift.max(1, threads / Swift.max(1, running)) }

    private static func update(_ change: (inout State) -> Void) {
        state.withLock { state in
            change(&state)
            share.store(state.share, ordering: .relaxed)
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
        forEachItem(n, parallelFrom: threshold, workerState: {}) { _, i in body(i) }
    }

    /// `forEachItem` with a value each thread makes once (`workerState`, e.g. a scratch
    /// buffer) and hands to every item it runs, then drops.
    static func forEachItem<State>(
        _ n: Int, parallelFrom threshold: Int, workerState: () -> State, _ body: (inout State, Int) -> Void
    ) {
        let workers = Swift.min(ThreadBudget.threadsPerComputation, n)
        guard n >= threshold && workers > 1 else {
            guard n > 0 else { return }
            var state = workerState()
            for i in 0..<n { body(&state, i) }
            return
        }
        let next = ItemCounter()
        withoutActuallyEscaping(body) { body in
            withoutActuallyEscaping(workerState) { workerState in
                let shared = UncheckedSendable((body, workerState))
                DispatchQueue.concurrentPerform(iterations: workers) { _ in
                    var i = next.value.add(1, ordering: .relaxed).oldValue
                    guard i < n else { return }
                    var state = shared.value.1()
                    while i < n {
                        shared.value.0(&state, i)
                        i = next.value.add(1, ordering: .relaxed).oldValue
                    }
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

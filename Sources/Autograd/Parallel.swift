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
        // Every worker has run before `run` returns, so `body` does not really escape, and
        // each worker touches only its own range.
        withoutActuallyEscaping(body) { body in
            let shared = UncheckedSendable(body)
            run(workers: workers) { p in
                let start = p == 0 ? 0 : (n * p / workers) / alignment * alignment
                let end = p == workers - 1 ? n : (n * (p + 1) / workers) / alignment * alignment
                shared.value(start, end)
            }
        }
    }

    /// Calls `work(p)` for every `p` in `0..<workers` concurrently and returns when all
    /// have returned: `work(0)` on the calling thread and the others on `LoopPool`'s
    /// threads, or, while the pool serves another loop (a nested or concurrent one),
    /// through `DispatchQueue.concurrentPerform`.
    static func run(workers: Int, _ work: (Int) -> Void) {
        if LoopPool.shared.run(workers: workers, work) { return }
        withoutActuallyEscaping(work) { work in
            let shared = UncheckedSendable(work)
            DispatchQueue.concurrentPerform(iterations: workers) { p in shared.value(p) }
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
                run(workers: workers) { _ in
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

/// Threads kept for the parallel loops of one computation at a time, so that a short loop
/// finds them awake. `DispatchQueue.concurrentPerform` hands iterations to libdispatch's
/// pool, whose threads park between loops: on the 2-core VM of docs/performance.md, W3's
/// fused op (62 blocks of about 25 µs) ran on one thread alone in most repetitions, the
/// other iteration starting only after the first had taken every block. A pool thread,
/// after its share of a loop, watches for the next one for `spinNanoseconds` before it
/// sleeps on a semaphore. The threads are started when a loop first asks for them, so the
/// pool holds as many as the widest loop so far less one (the loop's own thread): no more
/// than the thread budget (`--threads 2` on a 64-core host starts one), never more than
/// the machine's cores less one. One loop uses the pool at a time; a loop that finds it in
/// use (nested in another loop's body, or another computation's) runs through
/// `concurrentPerform` as before. Which thread runs which share never changes a value
/// (`Parallel`).
final class LoopPool: @unchecked Sendable {
    static let shared = LoopPool(capacity: Parallel.cores - 1)

    /// How long a pool thread keeps watching for the next loop before it sleeps.
    static let spinNanoseconds: UInt64 = 200_000

    private final class Helper: @unchecked Sendable {
        let sleeping = Atomic<Bool>(false)
        let wake = DispatchSemaphore(value: 0)
    }

    /// One per thread the pool may start; `helpers[..<started]` have a thread.
    private let helpers: [Helper]
    private let busy = Atomic<Bool>(false)
    // Read and written only by the thread holding `busy`.
    private var started = 0
    private var cannotStart = false
    /// The current loop's number (high bits), its worker count (bits 8–15) and its next
    /// unclaimed share (low 8 bits).
    /// A share is claimed by raising it with compare-and-exchange, so a pool thread that
    /// wakes late (or starts late) finds every share taken (the loop's thread takes what is
    /// left after its own) and touches nothing: a loop never waits for a thread that has
    /// not started.
    private let ticket = Atomic<Int>(0)
    /// Shares finished by the pool's threads in the current loop.
    private let finished = Atomic<Int>(0)
    // Written by the loop's thread before `ticket` moves to its loop (release) and read by
    // a pool thread only after it claimed a share of that loop (acquire); cleared only once
    // every claimed share has finished.
    private var job: ((Int) -> Void)?

    init(capacity: Int) {
        helpers = (0..<Swift.max(0, capacity)).map { _ in Helper() }
    }

    /// Starts pool threads until `count` have; false if one cannot be started (the pool
    /// then keeps the ones it has, and wider loops go through `concurrentPerform`).
    private func startHelpers(upTo count: Int) -> Bool {
        while started < count {
            guard !cannotStart else { return false }
            // A thread of its own (not one of libdispatch's, whose pool would count it as
            // busy while it watches), started with its pool, helper and index.
            let start = Unmanaged.passRetained(Start(pool: self, helper: helpers[started])).toOpaque()
            var thread = pthread_t()
            let created = pthread_create(&thread, nil, { argument in
                guard let argument else { return nil }
                let start = Unmanaged<Start>.fromOpaque(argument).takeRetainedValue()
                start.pool.serve(start.helper)
            }, start)
            guard created == 0 else {
                Unmanaged<Start>.fromOpaque(start).release()
                cannotStart = true
                return false
            }
            pthread_detach(thread)
            started += 1
        }
        return true
    }

    private final class Start {
        let pool: LoopPool
        let helper: Helper
        init(pool: LoopPool, helper: Helper) {
            self.pool = pool
            self.helper = helper
        }
    }

    /// The pool threads started so far.
    var threadCount: Int {
        while !busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged { sched_yield() }
        defer { busy.store(false, ordering: .releasing) }
        return started
    }

    /// Claims the next unclaimed share of the loop under way: its index, or nil when every
    /// share is taken. `seen` is set to that loop's number.
    @inline(__always)
    private func claim(seen: inout Int) -> Int? {
        while true {
            let t = ticket.load(ordering: .acquiring)
            seen = t >> 16
            let share = t & 255
            guard share < (t >> 8) & 255 else { return nil }
            if ticket.compareExchange(expected: t, desired: t + 1, ordering: .acquiringAndReleasing).exchanged {
                return share
            }
        }
    }

    /// Runs `work(p)` for `p` in `0..<workers`, `work(0)` on the calling thread, and returns
    /// true when all have returned; returns false at once, running nothing, when the pool
    /// is in use or cannot have `workers - 1` threads.
    func run(workers: Int, _ work: (Int) -> Void) -> Bool {
        guard workers >= 2, workers < 256, workers - 1 <= helpers.count,
              busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged
        else { return false }
        guard startHelpers(upTo: workers - 1) else {
            busy.store(false, ordering: .releasing)
            return false
        }
        withoutActuallyEscaping(work) { work in
            job = work
            finished.store(0, ordering: .relaxed)
            let loop = (ticket.load(ordering: .relaxed) >> 16) + 1
            ticket.store(loop << 16 | workers << 8 | 1, ordering: .sequentiallyConsistent)
            for helper in helpers[0..<(workers - 1)] where helper.sleeping.exchange(false, ordering: .sequentiallyConsistent) {
                helper.wake.signal()
            }
            work(0)
            // The shares no pool thread has claimed yet: this thread runs them.
            var claimedHere = 0
            var seen = 0
            while let share = claim(seen: &seen) {
                work(share)
                claimedHere += 1
            }
            // A pool thread just woken may have been placed on this core: yield to it
            // rather than spin through this thread's time slice.
            let claimedByPool = workers - 1 - claimedHere
            while finished.load(ordering: .acquiring) < claimedByPool { sched_yield() }
            job = nil
        }
        busy.store(false, ordering: .releasing)
        return true
    }

    private func serve(_ helper: Helper) -> Never {
        var seen = 0
        // Only a thread that took part in the last loop watches for the next one: the
        // others (beyond a smaller thread budget) sleep until a loop asks for them.
        var watch = false
        while true {
            var spinStart: UInt64 = 0
            var checks = 0
            while ticket.load(ordering: .acquiring) >> 16 == seen {
                if watch {
                    checks += 1
                    guard checks & 63 == 0 else { continue }
                    // Other threads ready to run on this core (the server's polling thread, a
                    // client on the same machine) go first.
                    sched_yield()
                    let now = DispatchTime.now().uptimeNanoseconds
                    if spinStart == 0 { spinStart = now; continue }
                    guard now - spinStart > Self.spinNanoseconds else { continue }
                }
                // Sleep until a loop wakes this thread: announce it, then look once more, so a
                // loop started in between is either seen here or signals the semaphore.
                helper.sleeping.store(true, ordering: .sequentiallyConsistent)
                if ticket.load(ordering: .sequentiallyConsistent) >> 16 != seen {
                    // Started in between: its signal is owed only if it cleared the flag.
                    if !helper.sleeping.exchange(false, ordering: .sequentiallyConsistent) { helper.wake.wait() }
                } else {
                    helper.wake.wait()
                }
                spinStart = 0
            }
            // Claim one share of the loop now under way, if one is left.
            watch = false
            if let share = claim(seen: &seen) {
                do {
                    let work = job
                    work?(share)
                }
                finished.add(1, ordering: .releasing)
                watch = true
            }
        }
    }
}

import Dispatch
import Synchronization
import Testing

@testable import Autograd

/// `LoopPool` and `Parallel.run`: every worker of every loop runs exactly once and the
/// loop returns only after all have; loops nested in a worker, and loops started from
/// several threads at once, fall back to `concurrentPerform` and still run every worker.
@Suite struct LoopPoolTests {
    @Test func everyWorkerRunsOnceAndTheLoopWaitsForIt() {
        let counts = Mutex([Int](repeating: 0, count: 8))
        for loop in 1...5_000 {
            let workers = 2 + loop % 3  // 2 to 4: more than the pool has threads falls back
            let done = Atomic<Int>(0)
            Parallel.run(workers: workers) { p in
                counts.withLock { $0[p] += 1 }
                if loop % 7 == 0 { for _ in 0..<200 { _ = done.load(ordering: .relaxed) } }  // uneven workers
                done.add(1, ordering: .relaxed)
            }
            #expect(done.load(ordering: .relaxed) == workers, "loop \(loop)")
        }
        let expected = (0..<8).map { p in (1...5_000).filter { 2 + $0 % 3 > p }.count }
        #expect(counts.withLock { $0 } == expected)
    }

    /// A pool starts threads when a loop first asks for them, never more than its capacity:
    /// the process's pool holds as many as the widest loop so far less one, so a server
    /// given `--threads 2` on a 64-core host starts one, not 63.
    @Test func aPoolStartsOnlyTheThreadsItsLoopsAskFor() {
        let pool = LoopPool(capacity: 5)
        #expect(pool.threadCount == 0)
        func run(_ workers: Int) -> (ran: Bool, workers: [Int]) {
            let seen = Mutex([Int]())
            let ran = pool.run(workers: workers) { p in seen.withLock { $0.append(p) } }
            return (ran, seen.withLock { $0.sorted() })
        }
        #expect(run(2) == (true, [0, 1]))
        #expect(pool.threadCount == 1)
        for _ in 0..<100 { #expect(run(2) == (true, [0, 1])) }
        #expect(pool.threadCount == 1)
        #expect(run(4) == (true, [0, 1, 2, 3]))
        #expect(pool.threadCount == 3)
        #expect(run(2) == (true, [0, 1]))
        #expect(pool.threadCount == 3)
        // Wider than its capacity allows: nothing runs, and the caller falls back.
        #expect(run(7) == (false, []))
        #expect(pool.threadCount == 3)
        #expect(run(6) == (true, Array(0..<6)))
        #expect(pool.threadCount == 5)
        // The process's pool never holds more than the machine's cores less one.
        #expect(LoopPool.shared.threadCount <= max(0, Parallel.cores - 1))
    }

    @Test func nestedAndConcurrentLoopsRunEveryWorker() {
        let total = Atomic<Int>(0)
        DispatchQueue.concurrentPerform(iterations: 4) { _ in
            for _ in 0..<500 {
                Parallel.run(workers: 2) { _ in
                    Parallel.run(workers: 2) { _ in total.add(1, ordering: .relaxed) }
                }
            }
        }
        #expect(total.load(ordering: .relaxed) == 4 * 500 * 2 * 2)
    }
}

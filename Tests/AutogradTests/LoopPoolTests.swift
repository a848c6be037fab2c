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

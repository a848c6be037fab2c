import Autograd
import Dispatch
import Foundation

/// Runs jobs each on a Dispatch queue of its own, at most `limit` at a time; the rest wait
/// in FIFO order, at most `maxQueue` of them and `maxQueueBytes` of request bodies (a job
/// larger than that alone may still wait in an empty queue). Nothing blocks a thread while waiting: a
/// finishing job starts the next. A job's queue is its own while it runs; queues are then
/// kept for later jobs (at most `limit` exist), rather than made and torn down per job.
///
/// A running job is registered with `ThreadBudget` while it runs, so that a job running
/// alone uses every thread of the budget and shares them once others start.
///
/// Admission is `hasRoom()` then `submit`: with one submitting thread (MHD's polling
/// thread) nothing can fill the room in between, since other threads only finish jobs.
///
/// `@unchecked Sendable`: `running`, `waiting`, `waitingBytes`, `head` and `idle` are only touched under `lock`.
final class ComputeLimiter: @unchecked Sendable {
    typealias Job = @Sendable () -> Void

    let limit: Int
    let maxQueue: Int
    let maxQueueBytes: Int
    private let lock = NSLock()
    private var running = 0
    private var waiting: [(job: Job, bytes: Int)] = []
    private var waitingBytes = 0
    private var head = 0
    /// Queues no job is running on.
    private var idle: [DispatchQueue] = []
    private var made = 0
    /// Called (outside the lock) when the last running job finishes with none waiting.
    private let whenIdle: (@Sendable () -> Void)?

    init(limit: Int, maxQueue: Int = .max, maxQueueBytes: Int = .max, whenIdle: (@Sendable () -> Void)? = nil) {
        self.whenIdle = whenIdle
        self.limit = max(1, limit)
        self.maxQueue = max(0, maxQueue)
        self.maxQueueBytes = max(0, maxQueueBytes)
    }

    /// True if a job of `bytes` submitted now would run or wait rather than overflow the queue.
    func hasRoom(bytes: Int = 0) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        if running < limit { return true }
        let queued = waiting.count - head
        return queued < maxQueue && (queued == 0 || waitingBytes + bytes <= maxQueueBytes)
    }

    /// Jobs running and jobs waiting, for logs and tests.
    var load: (running: Int, waiting: Int) {
        lock.lock()
        defer { lock.unlock() }
        return (running, waiting.count - head)
    }

    func submit(bytes: Int = 0, _ job: @escaping Job) {
        lock.lock()
        if running < limit {
            running += 1
            let queue = takeQueue()
            lock.unlock()
            start(job, on: queue)
        } else {
            waiting.append((job, bytes))
            waitingBytes += bytes
            lock.unlock()
        }
    }

    /// An idle queue, or a new one while fewer than `limit` exist. Called under `lock`.
    private func takeQueue() -> DispatchQueue {
        if let queue = idle.popLast() { return queue }
        made += 1
        return DispatchQueue(label: "autograd-server.request.\(made)", qos: .userInitiated)
    }

    private func start(_ job: @escaping Job, on queue: DispatchQueue) {
        queue.async {
            ThreadBudget.computationStarted()
            job()
            ThreadBudget.computationFinished()
            self.finished(on: queue)
        }
    }

    /// The job on `queue` is done: the next waiting job runs on the same queue, or the
    /// queue goes idle.
    private func finished(on queue: DispatchQueue) {
        lock.lock()
        guard head < waiting.count else {
            running -= 1
            idle.append(queue)
            let nowIdle = running == 0
            lock.unlock()
            if nowIdle { whenIdle?() }
            return
        }
        let (job, bytes) = waiting[head]
        waitingBytes -= bytes
        head += 1
        if head > 64 && head * 2 > waiting.count {
            waiting.removeFirst(head)
            head = 0
        }
        lock.unlock()
        start(job, on: queue)
    }
}

import Dispatch
import Foundation

/// Runs jobs each on a Dispatch queue of its own, at most `limit` at a time; the rest wait
/// in FIFO order, at most `maxQueue` of them. Nothing blocks a thread while waiting: a
/// finishing job starts the next.
///
/// Admission is `hasRoom()` then `submit`: with one submitting thread (MHD's polling
/// thread) nothing can fill the room in between, since other threads only finish jobs.
///
/// `@unchecked Sendable`: `running`, `waiting` and `head` are only touched under `lock`.
final class ComputeLimiter: @unchecked Sendable {
    typealias Job = @Sendable () -> Void

    let limit: Int
    let maxQueue: Int
    private let lock = NSLock()
    private var running = 0
    private var waiting: [Job] = []
    private var head = 0
    private var nextID: UInt64 = 0

    init(limit: Int, maxQueue: Int = .max) {
        self.limit = max(1, limit)
        self.maxQueue = max(0, maxQueue)
    }

    /// True if a job submitted now would run or wait rather than overflow the queue.
    func hasRoom() -> Bool {
        lock.lock()
        defer { lock.unlock() }
        return running < limit || waiting.count - head < maxQueue
    }

    /// Jobs running and jobs waiting, for logs and tests.
    var load: (running: Int, waiting: Int) {
        lock.lock()
        defer { lock.unlock() }
        return (running, waiting.count - head)
    }

    func submit(_ job: @escaping Job) {
        lock.lock()
        if running < limit {
            running += 1
            let id = takeID()
            lock.unlock()
            start(job, id: id)
        } else {
            waiting.append(job)
            lock.unlock()
        }
    }

    private func takeID() -> UInt64 {
        nextID &+= 1
        return nextID
    }

    private func start(_ job: @escaping Job, id: UInt64) {
        DispatchQueue(label: "autograd-server.request.\(id)", qos: .userInitiated).async {
            job()
            self.finished()
        }
    }

    private func finished() {
        lock.lock()
        guard head < waiting.count else {
            running -= 1
            lock.unlock()
            return
        }
        let job = waiting[head]
        head += 1
        if head > 64 && head * 2 > waiting.count {
            waiting.removeFirst(head)
            head = 0
        }
        let id = takeID()
        lock.unlock()
        start(job, id: id)
    }
}

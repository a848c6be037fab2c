import Foundation

/// Runs `body` on `count` threads at once (real threads, so blocking socket calls overlap)
/// and returns each result; waits at most `timeout` seconds.
func inParallel<T: Sendable>(
    _ count: Int, timeout: TimeInterval = 20, _ body: @escaping @Sendable (Int) throws -> T
) throws -> [T] {
    let results = ParallelResults<T>()
    let group = DispatchGroup()
    for i in 0..<count {
        group.enter()
        let thread = Thread {
            let result = Result { try body(i) }
            results.lock.lock()
            results.values[i] = result
            results.lock.unlock()
            group.leave()
        }
        thread.start()
    }
    guard group.wait(timeout: .now() + timeout) == .success else {
        throw ClientError("parallel requests did not finish within \(timeout)s")
    }
    results.lock.lock()
    defer { results.lock.unlock() }
    return try (0..<count).map { i in
        guard let result = results.values[i] else { throw ClientError("missing result \(i)") }
        return try result.get()
    }
}

/// `@unchecked Sendable`: `values` is guarded by `lock`.
private final class ParallelResults<T>: @unchecked Sendable {
    let lock = NSLock()
    var values: [Int: Result<T, any Error>] = [:]
}

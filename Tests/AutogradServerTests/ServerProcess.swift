import Autograd
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The real `autograd-server` binary, started on `--port 0` with its log going to a file
/// (a file never fills up and blocks the server the way an undrained pipe would).
final class ServerProcess {
    let process = Process()
    let logURL: URL
    private(set) var port = 0

    /// `AUTOGRAD_SERVER_BINARY`, else next to the test bundle (both live in the build
    /// directory), else `.build/debug` of this checkout.
    static func binaryURL() throws -> URL {
        let fm = FileManager.default
        var candidates: [URL] = []
        if let env = ProcessInfo.processInfo.environment["AUTOGRAD_SERVER_BINARY"] {
            candidates.append(URL(fileURLWithPath: env))
        }
        let selfExe = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        candidates.append(selfExe.deletingLastPathComponent().appendingPathComponent("autograd-server"))
        candidates.append(Bundle.main.bundleURL.appendingPathComponent("autograd-server"))
        candidates.append(Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent("autograd-server"))
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        candidates.append(root.appendingPathComponent(".build/debug/autograd-server"))
        if let found = candidates.first(where: { fm.isExecutableFile(atPath: $0.path) }) { return found }
        throw ClientError("autograd-server binary not found (run `swift build` first); looked at "
            + candidates.map(\.path).joined(separator: ", "))
    }

    /// `environment` is added to this process's own. The server runs OpenBLAS's kernels
    /// for this test process's core (`OPENBLAS_CORETYPE`), so that its bytes can be compared
    /// with the in-process engine's; with `ownOpenBLASCore` it chooses for itself, as in
    /// production (`BLAS.suggestedCoreType`).
    init(arguments: [String] = [], environment: [String: String] = [:], ownOpenBLASCore: Bool = false) throws {
        logURL = FileManager.default.temporaryDirectory
            .appendingPathComponent("autograd-server-test-\(UUID().uuidString).log")
        _ = FileManager.default.createFile(atPath: logURL.path, contents: nil)
        process.executableURL = try Self.binaryURL()
        process.arguments = ["--port", "0"] + arguments
        var inherited = ProcessInfo.processInfo.environment
        if ownOpenBLASCore {
            inherited["OPENBLAS_CORETYPE"] = nil
        } else {
            inherited["OPENBLAS_CORETYPE"] = BLAS.coreName
        }
        process.environment = inherited.merging(environment) { $1 }
        let log = try FileHandle(forWritingTo: logURL)
        process.standardError = log
        process.standardOutput = log
        try process.run()
        port = try waitForPort()
    }

    deinit {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: logURL)
    }

    var log: String { (try? String(contentsOf: logURL, encoding: .utf8)) ?? "" }

    /// The port from the `listening on http://HOST:PORT` (or `https://`) log line.
    static func parsePort(fromLog log: String) -> Int? {
        guard let range = log.range(of: "listening on http://") ?? log.range(of: "listening on https://") else { return nil }
        let rest = log[range.upperBound...].prefix { !$0.isWhitespace }
        guard let colon = rest.lastIndex(of: ":") else { return nil }
        return Int(rest[rest.index(after: colon)...])
    }

    private func waitForPort(timeout: TimeInterval = 10) throws -> Int {
        let deadline = Date(timeIntervalSinceNow: timeout)
        while Date() < deadline {
            if let port = Self.parsePort(fromLog: log) { return port }
            if !process.isRunning { throw ClientError("server exited early: \(log)") }
            usleep(10_000)
        }
        throw ClientError("no 'listening on' line within \(timeout)s: \(log)")
    }

    /// Sends `signal` and waits (bounded) for the exit status; nil if it did not exit.
    func stop(signal: Int32 = SIGTERM, timeout: TimeInterval = 10) -> Int32? {
        kill(process.processIdentifier, signal)
        let deadline = Date(timeIntervalSinceNow: timeout)
        while process.isRunning && Date() < deadline { usleep(10_000) }
        guard !process.isRunning else { return nil }
        return process.terminationStatus
    }

    /// Waits (bounded) until the log contains `text` at least `count` times.
    func waitForLog(_ text: String, count: Int, timeout: TimeInterval = 10) -> Bool {
        let deadline = Date(timeIntervalSinceNow: timeout)
        while Date() < deadline {
            if log.components(separatedBy: text).count - 1 >= count { return true }
            usleep(10_000)
        }
        return false
    }

    /// Waits (bounded) until the log contains `text`.
    func waitForLog(_ text: String, timeout: TimeInterval = 5) -> Bool {
        let deadline = Date(timeIntervalSinceNow: timeout)
        while Date() < deadline {
            if log.contains(text) { return true }
            usleep(10_000)
        }
        return false
    }
}

import AutogradGraph
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// What `POST /graph` answers in: DOT (the graph service's own output) or SVG, which
/// Graphviz's `dot` draws from that DOT in a subprocess on the computation queue.
enum GraphFormat: String, Sendable, Equatable {
    case dot, svg

    static let dotContentType = "text/vnd.graphviz"
    static let svgContentType = "image/svg+xml"

    /// From `?format=` (`dot` or `svg`), else from `Accept` (SVG only if it names
    /// `image/svg+xml` and not `text/vnd.graphviz`), else DOT. An unknown `format` is a 400.
    static func choose(query: String?, accept: String?) -> Result<GraphFormat, RouteProblem> {
        if let query {
            guard let format = GraphFormat(rawValue: query.lowercased()) else {
                return .failure(RouteProblem(Problem(
                    status: 400, title: "Bad Request",
                    detail: "the query parameter format must be dot or svg, got '\(query.prefix(32))'",
                    kind: .badHTTPRequest
                ).response))
            }
            return .success(format)
        }
        let accept = (accept ?? "").lowercased()
        if accept.contains(svgContentType) && !accept.contains(dotContentType) { return .success(.svg) }
        return .success(.dot)
    }
}

/// Draws DOT as SVG with Graphviz `dot`, found on `PATH` (or at `AUTOGRAD_DOT`).
enum GraphRenderer {
    /// Graphs with more nodes than this are answered 422 rather than drawn: `dot`'s layout
    /// takes minutes on tens of thousands of nodes. DOT has no such limit.
    static let maxNodes = 5_000
    /// `dot` gets this long before it is killed and the request answered 503.
    static let timeoutSeconds = 20.0

    /// The `dot` executable, or nil when Graphviz is not installed.
    static func dotPath(environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        if let explicit = environment["AUTOGRAD_DOT"], !explicit.isEmpty {
            return FileManager.default.isExecutableFile(atPath: explicit) ? explicit : nil
        }
        let path = environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for dir in path.split(separator: ":") where !dir.isEmpty {
            let candidate = "\(dir)/dot"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    static let notInstalled = Problem(
        status: 501, title: "Not Implemented",
        detail: "SVG needs Graphviz's dot, which is not installed on this server: install it (Debian: apt-get install graphviz) or ask for DOT (POST /graph without ?format=svg) and render it yourself.",
        kind: .graphvizMissing
    ).response

    /// The graph service's answer to `POST /graph`, made SVG: a DOT answer goes through
    /// `dot -Tsvg`; anything else (a problem) passes unchanged.
    static func svg(from response: Response) -> Response {
        guard response.status == 200, response.contentType == GraphFormat.dotContentType else { return response }
        guard let dot = dotPath() else { return carry(notInstalled, from: response) }
        let nodes = response.body.split(separator: UInt8(ascii: "\n")).count { line in
            line.starts(with: Array("  t".utf8)) || line.starts(with: Array("  o".utf8))
        }
        if nodes > maxNodes {
            return carry(Problem(
                status: 422, title: "Unprocessable Content",
                detail: "the graph has about \(nodes) nodes; SVG is drawn for at most \(maxNodes). Ask for DOT instead (POST /graph without ?format=svg)."
            ).response, from: response)
        }
        switch run(dot, arguments: ["-Tsvg"], input: response.body, timeout: timeoutSeconds) {
        case .success(let svg):
            var answer = response
            answer.contentType = GraphFormat.svgContentType
            answer.body = svg
            return answer
        case .failure(let why):
            return carry(Problem(status: 503, title: "Service Unavailable", detail: "dot could not draw the graph: \(why)", kind: .renderFailed).response, from: response)
        }
    }

    /// A problem in place of `response`, keeping its request id and graph size.
    private static func carry(_ problem: Response, from response: Response) -> Response {
        var answer = problem
        answer.headers += response.headers.filter { $0.name == "X-Request-Id" }
        answer.graphSize = response.graphSize
        return answer
    }

    /// Runs `executable` with `input` on stdin; its stdout if it exits 0 within `timeout`.
    /// stdin is written from another thread while stdout is read, so neither pipe can fill
    /// up and stall the other.
    static func run(_ executable: String, arguments: [String], input: [UInt8], timeout: Double) -> Result<[UInt8], RenderError> {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let stdin = Pipe(), stdout = Pipe(), stderr = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = stderr
        do {
            try process.run()
        } catch {
            return .failure(RenderError("cannot start \(executable): \(error)"))
        }
        let writer = stdin.fileHandleForWriting
        let data = Data(input)
        DispatchQueue.global().async {
            try? writer.write(contentsOf: data)
            try? writer.close()
        }
        let killer = DispatchWorkItem { if process.isRunning { process.terminate() } }
        DispatchQueue.global().asyncAfter(deadline: .now() + timeout, execute: killer)
        let errors = ErrorCollector(stderr.fileHandleForReading)
        let output = stdout.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        killer.cancel()
        let message = errors.finish()
        guard process.terminationReason == .exit, process.terminationStatus == 0 else {
            let how = process.terminationReason == .uncaughtSignal ? "was stopped after \(Int(timeout)) s" : "exited \(process.terminationStatus)"
            return .failure(RenderError("\(URL(fileURLWithPath: executable).lastPathComponent) \(how)\(message.isEmpty ? "" : ": " + message)"))
        }
        return .success([UInt8](output))
    }

    struct RenderError: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }

    /// Reads a pipe to its end on another thread (the first 500 bytes are kept).
    private final class ErrorCollector: @unchecked Sendable {
        private var data = Data()
        private let done = DispatchSemaphore(value: 0)

        init(_ handle: FileHandle) {
            DispatchQueue.global().async {
                self.data = handle.readDataToEndOfFile()
                self.done.signal()
            }
        }

        func finish() -> String {
            done.wait()
            return String(decoding: data.prefix(500), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        }
    }
}

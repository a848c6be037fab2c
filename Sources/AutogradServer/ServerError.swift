/// Why `HTTPServer.start()` failed.
public enum ServerError: Error, CustomStringConvertible, Sendable {
    case invalidConfiguration([String])
    case alreadyStarted
    /// libmicrohttpd refused to start (port in use, no permission, ...); `errno` as it left it.
    case startFailed(host: String, port: Int, errno: Int32)

    public var description: String {
        switch self {
        case .invalidConfiguration(let errors): return "invalid configuration: " + errors.joined(separator: "; ")
        case .alreadyStarted: return "server already started"
        case .startFailed(let host, let port, let code):
            return "cannot listen on \(NumericAddress.authority(host: host, port: port)) (errno \(code))"
        }
    }
}

/// An HTTP-independent answer to a request: status, media type and body bytes.
/// The server copies it onto the wire unchanged.
public struct Response: Sendable, Equatable {
    public var status: Int
    public var contentType: String
    public var body: [UInt8]
    /// Extra header fields (e.g. `Allow`, `Retry-After`), in order.
    public var headers: [(name: String, value: String)]
    /// For a graph request that got as far as a plan: its size, for the server's metrics
    /// (not part of the answer; `==` ignores it).
    public var graphSize: GraphSize?

    public init(status: Int, contentType: String, body: [UInt8], headers: [(name: String, value: String)] = []) {
        self.status = status
        self.contentType = contentType
        self.body = body
        self.headers = headers
    }

    public static func == (a: Response, b: Response) -> Bool {
        a.status == b.status && a.contentType == b.contentType && a.body == b.body
            && a.headers.map(\.name) == b.headers.map(\.name) && a.headers.map(\.value) == b.headers.map(\.value)
    }
}

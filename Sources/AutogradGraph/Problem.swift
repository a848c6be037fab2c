/// An RFC 9457 problem: the one error type every failure of a request becomes, with a
/// JSON Pointer (RFC 6901) to each cause found in the request body.
public struct Problem: Error, Sendable, Equatable {
    /// One cause: where in the request body, and what is wrong there.
    public struct Item: Sendable, Equatable {
        public let pointer: String
        public let detail: String
        public init(pointer: String, detail: String) {
            self.pointer = pointer
            self.detail = detail
        }
    }

    public var status: Int
    public var title: String
    public var detail: String
    /// The kind's URI (`ProblemType`), or `about:blank` for a status no kind covers.
    public var type: String
    public var errors: [Item]
    /// Header fields the answer needs (`Allow` on a 405).
    public var headers: [(name: String, value: String)]

    /// A problem of `kind`, by default the usual kind of `status` (`ProblemType.default(forStatus:)`).
    public init(
        status: Int, title: String, detail: String, kind: ProblemType? = nil,
        errors: [Item] = [], headers: [(name: String, value: String)] = []
    ) {
        self.status = status
        self.title = title
        self.detail = detail
        self.type = (kind ?? ProblemType.default(forStatus: status))?.uri ?? "about:blank"
        self.errors = errors
        self.headers = headers
    }

    public static func == (a: Problem, b: Problem) -> Bool {
        a.response == b.response
    }

    /// The `application/problem+json` answer.
    public var response: Response {
        var w = JSONWriter()
        w.raw("{")
        w.key("type"); w.string(type); w.raw(",")
        w.key("title"); w.string(title); w.raw(",")
        w.key("status"); w.int(status); w.raw(",")
        w.key("detail"); w.string(detail)
        if !errors.isEmpty {
            w.raw(",")
            w.key("errors")
            w.raw("[")
            for (i, e) in errors.enumerated() {
                if i > 0 { w.raw(",") }
                w.raw("{")
                w.key("pointer"); w.string(e.pointer); w.raw(",")
                w.key("detail"); w.string(e.detail)
                w.raw("}")
            }
            w.raw("]")
        }
        w.raw("}")
        return Response(status: status, contentType: "application/problem+json", body: w.bytes, headers: headers)
    }
}

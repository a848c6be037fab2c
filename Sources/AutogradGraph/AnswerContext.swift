import Autograd

/// What `GraphService` learns about a request on the way that is not the answer itself:
/// the request's `id` (echoed in the body, first member, and as `X-Request-Id`), the size
/// of its graph (for the server's metrics), and the endpoint's media type (`/graph`
/// answers DOT).
struct AnswerContext {
    let endpoint: Endpoint
    /// The body's valid `id`, once parsed.
    var id: String?
    /// Set once planned.
    var size: GraphSize?

    init(_ endpoint: Endpoint) { self.endpoint = endpoint }

    /// Reads `id` from the parsed document: kept if valid, reported into `problems` if not
    /// (400 for a non-string, 422 for a string breaking the rule).
    mutating func readID(_ document: JSONValue, problems: inout ProblemList) {
        guard let value = document.objectValue?["id"] else { return }
        guard case .string(let s) = value else {
            problems.wrongType("/id", "id must be a string")
            return
        }
        guard GraphRequestID.isValid(s) else {
            problems.invalid("/id", "id must be \(GraphRequestID.rule)")
            return
        }
        id = s
    }

    /// Notes the planned graph's size.
    mutating func planned(_ plan: GraphPlan) {
        var elements = plan.request.tensors.reduce(0) { $0 &+ $1.data.count }
        for step in plan.steps { elements &+= Shape.count(step.shape) ?? 0 }
        size = GraphSize(ops: plan.steps.count, elements: elements)
    }

    var contentType: String { endpoint == .graph ? "text/vnd.graphviz" : "application/json" }

    /// The 200 answer with these bytes.
    func success(_ bytes: [UInt8]) -> Response {
        finish(Response(status: 200, contentType: contentType, body: bytes))
    }

    /// The problem answer.
    func failure(_ problem: Problem) -> Response {
        finish(problem.response)
    }

    /// Adds the id (as the body's first member of a JSON object, and as `X-Request-Id`) and
    /// the size.
    private func finish(_ response: Response) -> Response {
        var answer = response
        answer.graphSize = size
        guard let id else { return answer }
        answer.headers.append((name: "X-Request-Id", value: id))
        if answer.contentType != "text/vnd.graphviz", answer.body.first == UInt8(ascii: "{") {
            var w = JSONWriter(capacity: id.utf8.count + 8)
            w.raw("{\"id\":")
            w.string(id)
            var body = w.bytes
            body.reserveCapacity(body.count + answer.body.count + 1)
            if answer.body.count > 2 { body.append(UInt8(ascii: ",")) }
            body.append(contentsOf: answer.body.dropFirst())
            answer.body = body
        }
        return answer
    }
}

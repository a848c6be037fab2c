import Autograd

/// Limits a request must stay within; checked before anything is computed.
public struct GraphLimits: Sendable {
    /// Elements across all tensors and intermediate values of one request.
    public var maxElements = 1 << 26
    public var maxOps = 100_000
    public var maxRank = 8
    /// JSON nesting depth accepted by the parser.
    public var maxDepth = 64
    /// Steps one `/train` request may ask for.
    public var maxTrainSteps = 10_000
    /// Wall-clock seconds one request may compute; past it the executor stops between ops
    /// and answers 503. 0 or less: no limit. (`--request-timeout` on the server.)
    public var requestTimeoutSeconds: Double = 30
    /// Ops that the derivatives a request asks for beyond the first (the op `grad`, /jvp,
    /// /hvp) may record, as the plan estimates them (`GraphPlan.checkDerivativeCost`).
    public var maxRecordedOps = 2_000_000

    public init() {}
}

/// Answers graph requests: parse, decode, plan, run, encode. Stateless and thread-safe;
/// the server calls `respond` from a computation queue, never from its polling thread.
public struct GraphService: Sendable {
    public let limits: GraphLimits
    /// Expands a model a request carries (`"onnx"`); without one that field is unknown.
    package let importer: (any GraphImporter)?

    public init(limits: GraphLimits = GraphLimits()) {
        self.limits = limits
        self.importer = nil
    }

    /// A service whose requests may carry a model that `importer` expands.
    package init(limits: GraphLimits = GraphLimits(), importer: any GraphImporter) {
        self.limits = limits
        self.importer = importer
    }

    /// The complete answer to one request body sent to `endpoint`. Never traps: every
    /// failure becomes a problem response.
    public func respond(to endpoint: Endpoint, body: [UInt8]) -> Response {
        respond(to: endpoint, body: body, since: .now)
    }

    /// As `respond(to:body:)`, with the request timeout counted from `start` (when the
    /// server received the request, so time spent waiting for a computation slot counts).
    public func respond(to endpoint: Endpoint, body: [UInt8], since start: ContinuousClock.Instant) -> Response {
        var body = body
        return respond(to: endpoint, taking: &body, since: start)
    }

    /// As `respond(to:body:since:)`, taking the body: `body` is emptied as soon as it is
    /// parsed (and its storage freed if nothing else holds it), and the parsed document
    /// once it is decoded, so a large request's text is not kept while its answer is
    /// computed and encoded (the server's peak memory per request).
    public func respond(to endpoint: Endpoint, taking body: inout [UInt8], since start: ContinuousClock.Instant) -> Response {
        let deadline = Deadline(seconds: limits.requestTimeoutSeconds, from: start)
        var context = AnswerContext(endpoint)
        do {
            let bytes = try answer(endpoint, &body, &context, deadline)
            return context.success(bytes)
        } catch {
            return context.failure(error)
        }
    }

    private func answer(_ endpoint: Endpoint, _ body: inout [UInt8], _ context: inout AnswerContext, _ deadline: Deadline) throws(Problem) -> [UInt8] {
        var decoder = RequestDecoder(endpoint: endpoint, limits: limits, importer: importer)
        let request: GraphRequest
        do {
            let document: JSONValue
            do {
                defer { body = [] }
                document = try parseDocument(body)
            }
            context.readID(document, problems: &decoder.problems)
            request = try decoder.decode(document)
        }
        let plan = try GraphPlan(request, problems: decoder.problems, limits: limits, for: endpoint)
        context.planned(plan)
        switch request.dtype {
        case .float32: return try run(endpoint, plan, Float.self, deadline)
        case .float64: return try run(endpoint, plan, Double.self, deadline)
        }
    }

    private func run<T: Scalar>(_ endpoint: Endpoint, _ plan: GraphPlan, _: T.Type, _ deadline: Deadline) throws(Problem) -> [UInt8] {
        try deadline.check("before computing (parsing and planning took the time)")
        switch endpoint {
        case .backward, .forward:
            var executor = Executor<T>(plan: plan, differentiate: endpoint == .backward, deadline: deadline)
            try executor.forward()
            if endpoint == .backward { try executor.backward() }
            return executor.encode(gradients: endpoint == .backward)
        case .graph:
            // Every intermediate is drawn, so nothing is fused away.
            var executor = Executor<T>(plan: plan, differentiate: true, deadline: deadline, fuse: false)
            try executor.forward()
            try executor.backward()
            return GraphDOT(plan: plan, executor: executor).write()
        case .train:
            guard let training = plan.request.training else {
                throw Problem(status: 422, title: "Unprocessable Content", detail: "missing optimizer or steps")
            }
            return try Trainer<T>(plan: plan, training: training, deadline: deadline).run()
        case .jvp:
            var executor = Executor<T>(plan: plan, differentiate: true, deadline: deadline)
            try executor.forward()
            return try executor.encodeJVP()
        case .hvp:
            var executor = Executor<T>(plan: plan, differentiate: true, deadline: deadline)
            try executor.forward()
            return try executor.encodeHVP()
        }
    }
}

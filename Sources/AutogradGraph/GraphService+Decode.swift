import Autograd

/// What `GraphService.decodeOnly` made of a request body.
public struct DecodeSummary: Sendable, Equatable {
    /// Tensors given in the request.
    public let tensors: Int
    /// Their elements, all materialised as arrays of the request's dtype.
    public let elements: Int
    /// Ops planned (ordered and shape-checked).
    public let ops: Int
}

extension GraphService {
    /// The front half of `respond`: parse, decode, plan, and build the request's tensors in
    /// its dtype, without running anything. The benchmark (`autograd-bench`, J1) measures
    /// request decoding through it; it follows exactly the path `respond` takes.
    public func decodeOnly(to endpoint: Endpoint = .backward, body: [UInt8]) throws(Problem) -> DecodeSummary {
        let document = try parseDocument(body)
        var decoder = RequestDecoder(endpoint: endpoint, limits: limits, importer: importer)
        let request = try decoder.decode(document)
        let plan = try GraphPlan(request, problems: decoder.problems, limits: limits, for: endpoint)
        func materialise<T: Scalar>(_: T.Type) -> Int {
            Executor<T>(plan: plan, differentiate: endpoint != .forward, fuse: false).leaves.reduce(0) { $0 + $1.count }
        }
        let elements: Int
        switch request.dtype {
        case .float32: elements = materialise(Float.self)
        case .float64: elements = materialise(Double.self)
        }
        return DecodeSummary(tensors: request.tensors.count, elements: elements, ops: plan.steps.count)
    }

    /// The body as a JSON document (tensors' `data` packed), or the 400 problem saying
    /// where it is not valid JSON: the first step of `respond` and `decodeOnly`.
    func parseDocument(_ body: [UInt8]) throws(Problem) -> JSONValue {
        do {
            return try JSONParser.parse(body, maxDepth: limits.maxDepth, packing: ["data"])
        } catch {
            throw Problem(
                status: 400, title: "Bad Request",
                detail: "The request body is not valid JSON: \(error.message) at byte \(error.offset).",
                errors: [.init(pointer: error.pointer, detail: error.message)])
        }
    }
}

import AutogradGraph
import Testing

/// Bad requests for issue 10's ops of ops-elem (elementwise math, comparisons, where,
/// reductions, cosine_similarity): each a 422 whose pointer names the op, the attribute or
/// the input at fault, never a trap.
@Suite struct ElementwiseMathRequestTests {
    static func request(_ tensors: String, _ op: String) -> String {
        #"{"tensors": {\#(tensors)}, "ops": [\#(op)], "outputs": ["y"]}"#
    }

    static let x23 = #""x": {"data": [[1, 2, 3], [4, 5, 6]], "requires_grad": true}"#

    static let cases: [BadRequest] = [
        BadRequest(
            label: "clamp without a bound",
            body: request(x23, #"{"id": "y", "op": "clamp", "inputs": ["x"]}"#), status: 422,
            pointers: ["/ops/0/attrs/min"]),
        BadRequest(
            label: "clamp with two null bounds",
            body: request(x23, #"{"id": "y", "op": "clamp", "inputs": ["x"], "attrs": {"min": null, "max": null}}"#),
            status: 422, pointers: ["/ops/0/attrs/min"]),
        BadRequest(
            label: "clamp bound a string",
            body: request(x23, #"{"id": "y", "op": "clamp", "inputs": ["x"], "attrs": {"max": "1"}}"#), status: 422,
            pointers: ["/ops/0/attrs/max"]),
        BadRequest(
            label: "elu alpha null",
            body: request(x23, #"{"id": "y", "op": "elu", "inputs": ["x"], "attrs": {"alpha": null}}"#), status: 422,
            pointers: ["/ops/0/attrs/alpha"]),
        BadRequest(
            label: "sin of two inputs",
            body: request(x23, #"{"id": "y", "op": "sin", "inputs": ["x", "x"]}"#), status: 422,
            pointers: ["/ops/0/inputs"]),
        BadRequest(
            label: "comparison shapes that do not broadcast",
            body: request(x23 + #", "b": {"data": [1, 2]}"#, #"{"id": "y", "op": "greater", "inputs": ["x", "b"]}"#),
            status: 422, pointers: ["/ops/0"]),
        BadRequest(
            label: "where shapes that do not broadcast",
            body: request(x23 + #", "c": {"data": [1, 0]}"#, #"{"id": "y", "op": "where", "inputs": ["c", "x", "x"]}"#),
            status: 422, pointers: ["/ops/0"]),
        BadRequest(
            label: "where of two inputs",
            body: request(x23, #"{"id": "y", "op": "where", "inputs": ["x", "x"]}"#), status: 422,
            pointers: ["/ops/0/inputs"]),
    ]

    @Test(arguments: cases)
    func answersWithAProblemAtThePointer(_ c: BadRequest) throws {
        let response = GraphService().respond(to: .forward, body: Array(c.body.utf8))
        #expect(response.status == c.status, "\(String(decoding: response.body, as: UTF8.self))")
        #expect(response.contentType == "application/problem+json")
        let problem = try JSONParser.parse(response.body)
        let pointers = problem["errors"]?.arrayValue?.compactMap { $0["pointer"]?.stringValue } ?? []
        #expect(pointers == c.pointers, "\(String(decoding: response.body, as: UTF8.self))")
    }
}

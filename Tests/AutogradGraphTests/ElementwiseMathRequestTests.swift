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
        BadRequest(
            label: "cumsum without axis",
            body: request(x23, #"{"id": "y", "op": "cumsum", "inputs": ["x"]}"#), status: 422,
            pointers: ["/ops/0/attrs/axis"]),
        BadRequest(
            label: "cumsum axis out of range",
            body: request(x23, #"{"id": "y", "op": "cumsum", "inputs": ["x"], "attrs": {"axis": 2}}"#), status: 422,
            pointers: ["/ops/0/attrs/axis"]),
        BadRequest(
            label: "argmax without axis",
            body: request(x23, #"{"id": "y", "op": "argmax", "inputs": ["x"]}"#), status: 422,
            pointers: ["/ops/0/attrs/axis"]),
        BadRequest(
            label: "argmin over an empty axis",
            body: request(#""x": {"shape": [2, 0], "data": []}"#, #"{"id": "y", "op": "argmin", "inputs": ["x"], "attrs": {"axis": 1}}"#),
            status: 422, pointers: ["/ops/0"]),
        BadRequest(
            label: "argmax axis out of range",
            body: request(x23, #"{"id": "y", "op": "argmax", "inputs": ["x"], "attrs": {"axis": -3}}"#), status: 422,
            pointers: ["/ops/0/attrs/axis"]),
        BadRequest(
            label: "norm ord 3",
            body: request(x23, #"{"id": "y", "op": "norm", "inputs": ["x"], "attrs": {"ord": 3}}"#), status: 422,
            pointers: ["/ops/0/attrs/ord"]),
        BadRequest(
            label: "norm ord an unknown word",
            body: request(x23, #"{"id": "y", "op": "norm", "inputs": ["x"], "attrs": {"ord": "fro"}}"#), status: 422,
            pointers: ["/ops/0/attrs/ord"]),
        BadRequest(
            label: "infinity norm over an empty axis",
            body: request(#""x": {"shape": [2, 0], "data": []}"#, #"{"id": "y", "op": "norm", "inputs": ["x"], "attrs": {"ord": "inf", "axis": 1}}"#),
            status: 422, pointers: ["/ops/0"]),
        BadRequest(
            label: "var axis repeated",
            body: request(x23, #"{"id": "y", "op": "var", "inputs": ["x"], "attrs": {"axis": [1, -1]}}"#), status: 422,
            pointers: ["/ops/0/attrs/axis"]),
        BadRequest(
            label: "std correction a string",
            body: request(x23, #"{"id": "y", "op": "std", "inputs": ["x"], "attrs": {"correction": "1"}}"#), status: 422,
            pointers: ["/ops/0/attrs/correction"]),
        BadRequest(
            label: "logsumexp axis out of range",
            body: request(x23, #"{"id": "y", "op": "logsumexp", "inputs": ["x"], "attrs": {"axis": 2}}"#), status: 422,
            pointers: ["/ops/0/attrs/axis"]),
        BadRequest(
            label: "cosine_similarity default axis of 1-D inputs",
            body: request(#""a": {"data": [1, 2]}, "b": {"data": [3, 4]}"#, #"{"id": "y", "op": "cosine_similarity", "inputs": ["a", "b"]}"#),
            status: 422, pointers: ["/ops/0/attrs/axis"]),
        BadRequest(
            label: "cosine_similarity shapes that do not broadcast",
            body: request(x23 + #", "b": {"data": [1, 2]}"#, #"{"id": "y", "op": "cosine_similarity", "inputs": ["x", "b"]}"#),
            status: 422, pointers: ["/ops/0"]),
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

import AutogradGraph
import Testing

/// Bad requests to the indexing ops and losses of issue 10: each a 422 with the pointer at
/// the attribute, the op or the offending index input, never a trap.
private func request(_ tensors: String, _ op: String, _ inputs: String, _ attrs: String = "") -> String {
    let a = attrs.isEmpty ? "" : #", "attrs": {\#(attrs)}"#
    return #"{"tensors": {\#(tensors)}, "ops": [{"id": "y", "op": "\#(op)", "inputs": [\#(inputs)]\#(a)}]}"#
}

private let x23 = #""x": {"data": [[1, 2, 3], [4, 5, 6]], "requires_grad": true}"#

let indexOpProblems: [BadRequest] = [
    BadRequest(label: "squeeze axis out of range", body: request(x23, "squeeze", #""x""#, #""axis": 2"#), status: 422, pointers: ["/ops/0/attrs/axis"]),
    BadRequest(label: "squeeze axis repeated", body: request(x23, "squeeze", #""x""#, #""axis": [0, -2]"#), status: 422, pointers: ["/ops/0/attrs/axis"]),
    BadRequest(label: "unsqueeze without axis", body: request(x23, "unsqueeze", #""x""#), status: 422, pointers: ["/ops/0/attrs/axis"]),
    BadRequest(label: "unsqueeze axis past rank + 1", body: request(x23, "unsqueeze", #""x""#, #""axis": 3"#), status: 422, pointers: ["/ops/0/attrs/axis"]),
    BadRequest(label: "unsqueeze axis below -(rank + 1)", body: request(x23, "unsqueeze", #""x""#, #""axis": -4"#), status: 422, pointers: ["/ops/0/attrs/axis"]),
    BadRequest(label: "broadcast_to without shape", body: request(x23, "broadcast_to", #""x""#), status: 422, pointers: ["/ops/0/attrs/shape"]),
    BadRequest(label: "broadcast_to an incompatible shape", body: request(x23, "broadcast_to", #""x""#, #""shape": [2, 4]"#), status: 422, pointers: ["/ops/0"]),
    BadRequest(label: "broadcast_to fewer axes", body: request(x23, "broadcast_to", #""x""#, #""shape": [3]"#), status: 422, pointers: ["/ops/0/attrs/shape"]),
    BadRequest(label: "broadcast_to -1 on a new axis", body: request(x23, "broadcast_to", #""x""#, #""shape": [-1, 2, 3]"#), status: 422, pointers: ["/ops/0/attrs/shape"]),
    BadRequest(label: "broadcast_to a negative length", body: request(x23, "broadcast_to", #""x""#, #""shape": [2, -3]"#), status: 422, pointers: ["/ops/0/attrs/shape"]),
    BadRequest(label: "stack of different shapes", body: request(x23 + #", "z": {"data": [1, 2, 3]}"#, "stack", #""x", "z""#), status: 422, pointers: ["/ops/0"]),
    BadRequest(label: "stack axis out of range", body: request(x23, "stack", #""x", "x""#, #""axis": 3"#), status: 422, pointers: ["/ops/0/attrs/axis"]),
    BadRequest(label: "pad without pad_width", body: request(x23, "pad", #""x""#), status: 422, pointers: ["/ops/0/attrs/pad_width"]),
    BadRequest(label: "pad_width of the wrong length", body: request(x23, "pad", #""x""#, #""pad_width": [[1, 1], [1, 1], [1, 1]]"#), status: 422, pointers: ["/ops/0/attrs/pad_width"]),
    BadRequest(label: "pad_width not pairs", body: request(x23, "pad", #""x""#, #""pad_width": [[1, 1, 1], [1, 1, 1]]"#), status: 422, pointers: ["/ops/0/attrs/pad_width"]),
    BadRequest(label: "pad_width flat", body: request(x23, "pad", #""x""#, #""pad_width": [1, 1]"#), status: 422, pointers: ["/ops/0/attrs/pad_width"]),
    BadRequest(label: "pad cropping past the length", body: request(x23, "pad", #""x""#, #""pad_width": [[0, 0], [-2, -2]]"#), status: 422, pointers: ["/ops/0/attrs/pad_width"]),
    BadRequest(label: "pad growing past Int.max", body: request(x23, "pad", #""x""#, #""pad_width": [[0, 0], [9223372036854775807, 1]]"#), status: 422, pointers: ["/ops/0/attrs/pad_width"]),
    BadRequest(label: "flip axis out of range", body: request(x23, "flip", #""x""#, #""axis": [0, 5]"#), status: 422, pointers: ["/ops/0/attrs/axis"]),
    BadRequest(label: "take index out of range", body: request(x23 + #", "i": {"data": [0, 2]}"#, "take", #""x", "i""#), status: 422, pointers: ["/ops/0/inputs/1"]),
    BadRequest(label: "take index below -n", body: request(x23 + #", "i": {"data": [-3]}"#, "take", #""x", "i""#), status: 422, pointers: ["/ops/0/inputs/1"]),
    BadRequest(label: "take fractional index", body: request(x23 + #", "i": {"data": [0.5]}"#, "take", #""x", "i""#), status: 422, pointers: ["/ops/0/inputs/1"]),
    BadRequest(label: "take NaN index", body: request(x23 + #", "i": {"data": ["NaN"]}"#, "take", #""x", "i""#), status: 422, pointers: ["/ops/0/inputs/1"]),
    BadRequest(label: "take from a scalar", body: request(#""x": {"data": 1}, "i": {"data": [0]}"#, "take", #""x", "i""#), status: 422, pointers: ["/ops/0"]),
    BadRequest(label: "take axis out of range", body: request(x23 + #", "i": {"data": [0]}"#, "take", #""x", "i""#, #""axis": 2"#), status: 422, pointers: ["/ops/0/attrs/axis"]),
    BadRequest(label: "gather without axis", body: request(x23 + #", "i": {"data": [[0], [1]]}"#, "gather", #""x", "i""#), status: 422, pointers: ["/ops/0/attrs/axis"]),
    BadRequest(label: "gather index of another rank", body: request(x23 + #", "i": {"data": [0, 1]}"#, "gather", #""x", "i""#, #""axis": 1"#), status: 422, pointers: ["/ops/0"]),
    BadRequest(label: "gather index longer off the axis", body: request(x23 + #", "i": {"data": [[0], [1], [0]]}"#, "gather", #""x", "i""#, #""axis": 1"#), status: 422, pointers: ["/ops/0"]),
    BadRequest(label: "gather negative index (torch refuses it)", body: request(x23 + #", "i": {"data": [[0], [-1]]}"#, "gather", #""x", "i""#, #""axis": 1"#), status: 422, pointers: ["/ops/0/inputs/1"]),
    BadRequest(label: "gather index 1e300", body: request(x23 + #", "i": {"data": [[0], [1e300]]}"#, "gather", #""x", "i""#, #""axis": 1"#), status: 422, pointers: ["/ops/0/inputs/1"]),
    BadRequest(label: "embedding weight not a matrix", body: request(#""w": {"data": [1, 2, 3]}, "i": {"data": [0]}"#, "embedding", #""w", "i""#), status: 422, pointers: ["/ops/0"]),
    BadRequest(label: "embedding index out of range", body: request(x23 + #", "i": {"data": [[0, 2]]}"#, "embedding", #""x", "i""#), status: 422, pointers: ["/ops/0/inputs/1"]),
    BadRequest(label: "embedding negative index", body: request(x23 + #", "i": {"data": [-1]}"#, "embedding", #""x", "i""#), status: 422, pointers: ["/ops/0/inputs/1"]),
    BadRequest(label: "embedding fractional index", body: request(x23 + #", "i": {"data": [1.25]}"#, "embedding", #""x", "i""#), status: 422, pointers: ["/ops/0/inputs/1"]),
    BadRequest(label: "dropout without p", body: request(x23, "dropout", #""x""#, #""seed": 1"#), status: 422, pointers: ["/ops/0/attrs/p"]),
    BadRequest(label: "dropout without seed", body: request(x23, "dropout", #""x""#, #""p": 0.5"#), status: 422, pointers: ["/ops/0/attrs/seed"]),
    BadRequest(label: "dropout p above 1", body: request(x23, "dropout", #""x""#, #""p": 1.5, "seed": 1"#), status: 422, pointers: ["/ops/0/attrs/p"]),
    BadRequest(label: "dropout p negative", body: request(x23, "dropout", #""x""#, #""p": -0.1, "seed": 1"#), status: 422, pointers: ["/ops/0/attrs/p"]),
    BadRequest(label: "dropout seed negative", body: request(x23, "dropout", #""x""#, #""p": 0.5, "seed": -1"#), status: 422, pointers: ["/ops/0/attrs/seed"]),
    BadRequest(label: "dropout seed beyond 2^53", body: request(x23, "dropout", #""x""#, #""p": 0.5, "seed": 9007199254740993"#), status: 422, pointers: ["/ops/0/attrs/seed"]),
]

@Suite struct IndexOpProblemTests {
    @Test(arguments: indexOpProblems)
    func answersWithAProblemAndPointers(_ c: BadRequest) throws {
        for endpoint in [Endpoint.backward, .forward] {
            let response = GraphService().respond(to: endpoint, body: Array(c.body.utf8))
            let text = String(decoding: response.body, as: UTF8.self)
            #expect(response.status == c.status, "\(endpoint) \(text)")
            #expect(response.contentType == "application/problem+json")
            let problem = try JSONParser.parse(response.body)
            let pointers = problem["errors"]?.arrayValue?.compactMap { $0["pointer"]?.stringValue } ?? []
            #expect(pointers == c.pointers, "\(endpoint) \(text)")
        }
    }

    /// The same ops with valid indices: 200, so the table above fails for the right reason.
    @Test func validIndicesAreAccepted() throws {
        for body in [
            request(x23 + #", "i": {"data": [-2, 1]}"#, "take", #""x", "i""#),
            request(x23 + #", "i": {"data": [[2], [0]]}"#, "gather", #""x", "i""#, #""axis": 1"#),
            request(x23 + #", "i": {"data": [[0, 1]]}"#, "embedding", #""x", "i""#),
            request(x23, "pad", #""x""#, #""pad_width": [[0, 0], [-1, -2]]"#),
            request(#""x": {"data": 1}"#, "pad", #""x""#, #""pad_width": []"#),
        ] {
            let response = GraphService().respond(to: .forward, body: Array(body.utf8))
            #expect(response.status == 200, "\(String(decoding: response.body, as: UTF8.self))")
        }
    }
}

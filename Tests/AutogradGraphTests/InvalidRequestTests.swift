import AutogradGraph
import Testing

/// One bad request and the problem it must get: status and the pointers of its causes.
struct BadRequest: Sendable, CustomTestStringConvertible {
    let label: String
    let body: String
    let status: Int
    let pointers: [String]
    var testDescription: String { label }
}

/// A valid graph to start from; cases splice their fault into it.
private func graph(
    tensors: String = #""x": {"data": [[1, 2], [3, 4]]}, "W": {"data": [[0.1, 0.2], [0.3, 0.4]], "requires_grad": true}"#,
    ops: String = #"{"id": "y", "op": "matmul", "inputs": ["x", "W"]}, {"id": "loss", "op": "sum", "inputs": ["y"]}"#,
    extra: String = #", "loss": "loss""#
) -> String {
    #"{"tensors": {\#(tensors)}, "ops": [\#(ops)]\#(extra)}"#
}

let badRequests: [BadRequest] = [
    // 400: not JSON, or the wrong JSON types
    BadRequest(label: "not JSON", body: "{\"tensors\": ", status: 400, pointers: ["/tensors"]),
    BadRequest(label: "empty body", body: "", status: 400, pointers: [""]),
    BadRequest(label: "top level is an array", body: "[]", status: 400, pointers: [""]),
    BadRequest(label: "ops not an array", body: #"{"tensors": {}, "ops": {}}"#, status: 400, pointers: ["/ops"]),
    BadRequest(label: "tensors missing", body: #"{"ops": []}"#, status: 400, pointers: ["/tensors"]),
    BadRequest(label: "data element a boolean", body: graph(tensors: #""x": {"data": [[1, true], [3, 4]]}, "W": {"data": [[1, 2], [3, 4]]}"#), status: 400, pointers: ["/tensors/x/data/0/1"]),
    BadRequest(label: "requires_grad not a boolean", body: graph(tensors: #""x": {"data": [[1, 2], [3, 4]], "requires_grad": 1}, "W": {"data": [[1, 2], [3, 4]]}"#), status: 400, pointers: ["/tensors/x/requires_grad"]),
    BadRequest(label: "input name not a string", body: graph(ops: #"{"id": "y", "op": "matmul", "inputs": ["x", 3]}, {"id": "loss", "op": "sum", "inputs": ["y"]}"#), status: 400, pointers: ["/ops/0/inputs/1"]),
    BadRequest(label: "shape with a fraction", body: graph(tensors: #""x": {"shape": [2, 2.5], "data": [1, 2, 3, 4]}, "W": {"data": [[1, 2], [3, 4]]}"#), status: 400, pointers: ["/tensors/x/shape/1"]),
    BadRequest(label: "dtype not a string", body: #"{"dtype": 32, "tensors": {}, "ops": []}"#, status: 400, pointers: ["/dtype"]),
    BadRequest(label: "non-finite as an unknown string", body: graph(tensors: #""x": {"data": [[1, "inf"], [3, 4]]}, "W": {"data": [[1, 2], [3, 4]]}"#), status: 400, pointers: ["/tensors/x/data/0/1"]),
    // 422: well-formed but not a computable graph
    BadRequest(label: "unknown op", body: graph(ops: #"{"id": "y", "op": "convolve", "inputs": ["x", "W"]}, {"id": "loss", "op": "sum", "inputs": ["y"]}"#), status: 422, pointers: ["/ops/0/op"]),
    BadRequest(label: "undefined input", body: graph(ops: #"{"id": "y", "op": "matmul", "inputs": ["x", "V"]}, {"id": "loss", "op": "sum", "inputs": ["y"]}"#), status: 422, pointers: ["/ops/0/inputs/1"]),
    BadRequest(label: "op id repeats a tensor name", body: graph(ops: #"{"id": "x", "op": "matmul", "inputs": ["x", "W"]}, {"id": "loss", "op": "sum", "inputs": ["x"]}"#), status: 422, pointers: ["/ops/0/id"]),
    BadRequest(label: "two ops with one id", body: graph(ops: #"{"id": "y", "op": "matmul", "inputs": ["x", "W"]}, {"id": "y", "op": "neg", "inputs": ["x"]}, {"id": "loss", "op": "sum", "inputs": ["y"]}"#), status: 422, pointers: ["/ops/1/id"]),
    BadRequest(label: "a cycle", body: graph(ops: #"{"id": "p", "op": "add", "inputs": ["x", "q"]}, {"id": "q", "op": "neg", "inputs": ["p"]}, {"id": "loss", "op": "sum", "inputs": ["q"]}"#), status: 422, pointers: ["/ops/0", "/ops/1"]),
    BadRequest(label: "self loop", body: graph(ops: #"{"id": "p", "op": "add", "inputs": ["x", "p"]}, {"id": "loss", "op": "sum", "inputs": ["p"]}"#), status: 422, pointers: ["/ops/0"]),
    BadRequest(label: "wrong arity", body: graph(ops: #"{"id": "y", "op": "matmul", "inputs": ["x"]}, {"id": "loss", "op": "sum", "inputs": ["y"]}"#), status: 422, pointers: ["/ops/0/inputs"]),
    BadRequest(label: "shape mismatch", body: graph(tensors: #""x": {"data": [[1, 2, 3]]}, "W": {"data": [[1, 2], [3, 4]], "requires_grad": true}"#), status: 422, pointers: ["/ops/0"]),
    BadRequest(label: "broadcast mismatch", body: graph(tensors: #""x": {"data": [1, 2, 3]}, "W": {"data": [1, 2]}"#, ops: #"{"id": "loss", "op": "add", "inputs": ["x", "W"]}"#, extra: ""), status: 422, pointers: ["/ops/0"]),
    BadRequest(label: "axis out of range", body: graph(ops: #"{"id": "y", "op": "matmul", "inputs": ["x", "W"]}, {"id": "loss", "op": "sum", "inputs": ["y"], "attrs": {"axis": 5}}"#), status: 422, pointers: ["/ops/1/attrs/axis"]),
    BadRequest(label: "attribute of the wrong type", body: graph(ops: #"{"id": "y", "op": "matmul", "inputs": ["x", "W"]}, {"id": "loss", "op": "sum", "inputs": ["y"], "attrs": {"keepdims": "yes"}}"#), status: 422, pointers: ["/ops/1/attrs/keepdims"]),
    BadRequest(label: "unknown attribute", body: graph(ops: #"{"id": "y", "op": "matmul", "inputs": ["x", "W"]}, {"id": "loss", "op": "sum", "inputs": ["y"], "attrs": {"dim": 0}}"#), status: 422, pointers: ["/ops/1/attrs/dim"]),
    BadRequest(label: "unknown reduction", body: graph(ops: #"{"id": "loss", "op": "mse_loss", "inputs": ["x", "W"], "attrs": {"reduction": "max"}}"#), status: 422, pointers: ["/ops/0/attrs/reduction"]),
    BadRequest(label: "ragged data", body: graph(tensors: #""x": {"data": [[1, 2], [3]]}, "W": {"data": [[1, 2], [3, 4]]}"#), status: 422, pointers: ["/tensors/x/data"]),
    BadRequest(label: "shape and data disagree", body: graph(tensors: #""x": {"shape": [2, 3], "data": [1, 2, 3, 4]}, "W": {"data": [[1, 2], [3, 4]]}"#), status: 422, pointers: ["/tensors/x"]),
    BadRequest(label: "element count overflows", body: graph(tensors: #""x": {"shape": [4611686018427387904, 4], "data": []}, "W": {"data": [[1, 2], [3, 4]]}"#), status: 422, pointers: ["/tensors/x"]),
    BadRequest(label: "negative dimension", body: graph(tensors: #""x": {"shape": [-1, 2], "data": []}, "W": {"data": [[1, 2], [3, 4]]}"#), status: 422, pointers: ["/tensors/x/shape/0"]),
    BadRequest(label: "number beyond double range", body: graph(tensors: #""x": {"data": [[1, 1e400], [3, 4]]}, "W": {"data": [[1, 2], [3, 4]]}"#), status: 422, pointers: ["/tensors/x/data/0/1"]),
    BadRequest(label: "unknown dtype", body: #"{"dtype": "float16", "tensors": {}, "ops": []}"#, status: 422, pointers: ["/dtype"]),
    BadRequest(label: "loss not a scalar", body: graph(ops: #"{"id": "y", "op": "matmul", "inputs": ["x", "W"]}"#, extra: #", "loss": "y""#), status: 422, pointers: ["/loss"]),
    BadRequest(label: "undefined loss", body: graph(extra: #", "loss": "nothing""#), status: 422, pointers: ["/loss"]),
    BadRequest(label: "seed of the wrong shape", body: graph(ops: #"{"id": "y", "op": "matmul", "inputs": ["x", "W"]}"#, extra: #", "loss": "y", "seed": {"data": [1, 2]}"#), status: 422, pointers: ["/seed"]),
    BadRequest(label: "unknown name in gradients", body: graph(extra: #", "loss": "loss", "gradients": ["W", "Q"]"#), status: 422, pointers: ["/gradients/1"]),
    BadRequest(label: "op name in gradients", body: graph(extra: #", "loss": "loss", "gradients": ["y"]"#), status: 422, pointers: ["/gradients/0"]),
    BadRequest(label: "unknown name in outputs", body: graph(extra: #", "loss": "loss", "outputs": ["loss", "zzz"]"#), status: 422, pointers: ["/outputs/1"]),
    BadRequest(label: "unknown top-level field", body: graph(extra: #", "loss": "loss", "los": "loss""#), status: 422, pointers: ["/los"]),
    BadRequest(label: "names escaped in pointers", body: graph(tensors: #""a/b": {"data": [[1, 2], [3]]}, "x": {"data": [[1, 2], [3, 4]]}, "W": {"data": [[1, 2], [3, 4]]}"#), status: 422, pointers: ["/tensors/a~1b/data"]),
    BadRequest(label: "tilde escaped in pointers", body: graph(tensors: #""m~n": {"shape": [3], "data": [1]}, "x": {"data": [[1, 2], [3, 4]]}, "W": {"data": [[1, 2], [3, 4]]}"#), status: 422, pointers: ["/tensors/m~0n"]),
    BadRequest(label: "every problem reported", body: graph(ops: #"{"id": "y", "op": "nope", "inputs": ["x", "W"]}, {"id": "loss", "op": "sum", "inputs": ["zz"]}"#), status: 422, pointers: ["/ops/0/op", "/ops/1/inputs/0"]),
]

@Suite struct InvalidRequestTests {
    @Test(arguments: badRequests)
    func answersWithAProblemAndPointers(_ c: BadRequest) throws {
        let response = GraphService().respond(to: .backward, body: Array(c.body.utf8))
        #expect(response.status == c.status)
        #expect(response.contentType == "application/problem+json")
        let problem = try JSONParser.parse(response.body)
        #expect(problem["status"]?.numberValue?.exactInt == c.status)
        #expect(problem["title"]?.stringValue?.isEmpty == false)
        #expect(problem["detail"]?.stringValue?.isEmpty == false)
        #expect(problem["type"]?.stringValue == (c.status == 400
            ? "https://swiftautograd.dev/problems/malformed-request" : "https://swiftautograd.dev/problems/invalid-graph"))
        let pointers = problem["errors"]?.arrayValue?.compactMap { $0["pointer"]?.stringValue } ?? []
        #expect(pointers == c.pointers, "\(String(decoding: response.body, as: UTF8.self))")
        for e in problem["errors"]?.arrayValue ?? [] {
            #expect(e["detail"]?.stringValue?.isEmpty == false)
        }
    }

    @Test func problemsBeyondAHundredAreCountedNotListed() throws {
        let ops = (0..<150).map { #"{"id": "y\#($0)", "op": "neg", "inputs": ["missing"]}"# }.joined(separator: ",")
        let response = GraphService().respond(to: .backward, body: Array(graph(ops: ops, extra: "").utf8))
        let problem = try JSONParser.parse(response.body)
        #expect(response.status == 422)
        #expect(problem["errors"]?.arrayValue?.count == 100)
        #expect(problem["detail"]?.stringValue?.contains("150 problems") == true)
    }
}

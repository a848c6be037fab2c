import AutogradGraph
import Testing

/// A graph of one op `y` over the named tensors, summed into the loss.
private func oneOp(_ tensors: String, _ op: String, _ inputs: [String], attrs: String = "") -> String {
    let names = inputs.map { "\"\($0)\"" }.joined(separator: ", ")
    let a = attrs.isEmpty ? "" : #", "attrs": {\#(attrs)}"#
    return #"{"tensors": {\#(tensors)}, "ops": [{"id": "y", "op": "\#(op)", "inputs": [\#(names)]\#(a)}, {"id": "loss", "op": "sum", "inputs": ["y"]}], "loss": "loss"}"#
}

private let x23 = #""x": {"data": [[1, 2, 3], [4, 5, 6]], "requires_grad": true}"#
private let x243 = #""x": {"shape": [2, 4, 3], "init": {"name": "normal", "seed": 1}, "requires_grad": true}"#
private let qkv = #""q": {"shape": [2, 3, 4], "init": {"name": "normal", "seed": 1}}, "k": {"shape": [2, 5, 4], "init": {"name": "normal", "seed": 2}}, "v": {"shape": [2, 5, 3], "init": {"name": "normal", "seed": 3}}"#
private let sdpa = "scaled_dot_product_attention"

/// Bad input to the normalisation and attention ops: each a 422 pointing at the op, the
/// attribute or the input at fault.
let normalizationBadRequests: [BadRequest] = [
    BadRequest(label: "layer_norm without normalized_shape", body: oneOp(x23, "layer_norm", ["x"]), status: 422, pointers: ["/ops/0/attrs/normalized_shape"]),
    BadRequest(label: "layer_norm normalized_shape not trailing", body: oneOp(x23, "layer_norm", ["x"], attrs: #""normalized_shape": [2]"#), status: 422, pointers: ["/ops/0/attrs/normalized_shape"]),
    BadRequest(label: "layer_norm normalized_shape longer than x", body: oneOp(x23, "layer_norm", ["x"], attrs: #""normalized_shape": [1, 2, 3]"#), status: 422, pointers: ["/ops/0/attrs/normalized_shape"]),
    BadRequest(label: "layer_norm negative normalized_shape", body: oneOp(x23, "layer_norm", ["x"], attrs: #""normalized_shape": [-3]"#), status: 422, pointers: ["/ops/0/attrs/normalized_shape"]),
    BadRequest(label: "layer_norm weight of the wrong shape", body: oneOp(x23 + #", "w": {"data": [1, 2]}"#, "layer_norm", ["x", "w"], attrs: #""normalized_shape": 3"#), status: 422, pointers: ["/ops/0/inputs/1"]),
    BadRequest(label: "layer_norm eps a string", body: oneOp(x23, "layer_norm", ["x"], attrs: #""normalized_shape": 3, "eps": "small""#), status: 422, pointers: ["/ops/0/attrs/eps"]),
    BadRequest(label: "rms_norm normalized_shape not trailing", body: oneOp(x23, "rms_norm", ["x"], attrs: #""normalized_shape": [2, 2]"#), status: 422, pointers: ["/ops/0/attrs/normalized_shape"]),
    BadRequest(label: "rms_norm weight of the wrong shape", body: oneOp(x23 + #", "w": {"data": [[1, 2, 3]]}"#, "rms_norm", ["x", "w"], attrs: #""normalized_shape": [3]"#), status: 422, pointers: ["/ops/0/inputs/1"]),
    BadRequest(label: "group_norm without num_groups", body: oneOp(x243, "group_norm", ["x"]), status: 422, pointers: ["/ops/0/attrs/num_groups"]),
    BadRequest(label: "group_norm num_groups not dividing C", body: oneOp(x243, "group_norm", ["x"], attrs: #""num_groups": 3"#), status: 422, pointers: ["/ops/0/attrs/num_groups"]),
    BadRequest(label: "group_norm num_groups zero", body: oneOp(x243, "group_norm", ["x"], attrs: #""num_groups": 0"#), status: 422, pointers: ["/ops/0/attrs/num_groups"]),
    BadRequest(label: "group_norm bias of the wrong length", body: oneOp(x243 + #", "w": {"data": [1, 1, 1, 1]}, "b": {"data": [0, 0, 0]}"#, "group_norm", ["x", "w", "b"], attrs: #""num_groups": 2"#), status: 422, pointers: ["/ops/0/inputs/2"]),
    BadRequest(label: "group_norm x of rank 1", body: oneOp(#""x": {"data": [1, 2, 3, 4]}"#, "group_norm", ["x"], attrs: #""num_groups": 2"#), status: 422, pointers: ["/ops/0"]),
    BadRequest(label: "batch_norm with 4 inputs", body: oneOp(x243 + #", "w": {"data": [1, 1, 1, 1]}, "b": {"data": [0, 0, 0, 0]}"#, "batch_norm", ["x", "w", "b", "b"]), status: 422, pointers: ["/ops/0"]),
    BadRequest(label: "batch_norm running_mean of the wrong length", body: oneOp(x243 + #", "w": {"data": [1, 1, 1, 1]}, "b": {"data": [0, 0, 0, 0]}, "m": {"data": [0, 0]}, "v": {"data": [1, 1, 1, 1]}"#, "batch_norm", ["x", "w", "b", "m", "v"]), status: 422, pointers: ["/ops/0/inputs/3"]),
    BadRequest(label: "batch_norm running_var of the wrong length", body: oneOp(x243 + #", "w": {"data": [1, 1, 1, 1]}, "b": {"data": [0, 0, 0, 0]}, "m": {"data": [0, 0, 0, 0]}, "v": {"data": [1, 1, 1, 1, 1]}"#, "batch_norm", ["x", "w", "b", "m", "v"]), status: 422, pointers: ["/ops/0/inputs/4"]),
    BadRequest(label: "batch_norm weight of the wrong length", body: oneOp(x243 + #", "w": {"data": [1, 1, 1]}, "b": {"data": [0, 0, 0, 0]}"#, "batch_norm", ["x", "w", "b"]), status: 422, pointers: ["/ops/0/inputs/1"]),
    BadRequest(label: "batch_norm training on one value per channel", body: oneOp(#""x": {"data": [[1, 2]]}, "w": {"data": [1, 1]}, "b": {"data": [0, 0]}"#, "batch_norm", ["x", "w", "b"]), status: 422, pointers: ["/ops/0"]),
    BadRequest(label: "attention k of another width", body: oneOp(qkv.replacingOccurrences(of: #""shape": [2, 5, 4], "init": {"name": "normal", "seed": 2}"#, with: #""shape": [2, 5, 3], "init": {"name": "normal", "seed": 2}"#), sdpa, ["q", "k", "v"]), status: 422, pointers: ["/ops/0"]),
    BadRequest(label: "attention v of another length", body: oneOp(qkv.replacingOccurrences(of: #""shape": [2, 5, 3]"#, with: #""shape": [2, 4, 3]"#), sdpa, ["q", "k", "v"]), status: 422, pointers: ["/ops/0"]),
    BadRequest(label: "attention batches that disagree", body: oneOp(qkv.replacingOccurrences(of: #""shape": [2, 3, 4]"#, with: #""shape": [3, 3, 4]"#), sdpa, ["q", "k", "v"]), status: 422, pointers: ["/ops/0"]),
    BadRequest(label: "attention ranks that disagree", body: oneOp(qkv.replacingOccurrences(of: #""shape": [2, 3, 4]"#, with: #""shape": [1, 2, 3, 4]"#), sdpa, ["q", "k", "v"]), status: 422, pointers: ["/ops/0"]),
    BadRequest(label: "attention q of rank 1", body: oneOp(#""q": {"data": [1, 2]}, "k": {"data": [1, 2]}, "v": {"data": [1, 2]}"#, sdpa, ["q", "k", "v"]), status: 422, pointers: ["/ops/0"]),
    BadRequest(label: "attention mask that does not broadcast", body: oneOp(qkv + #", "m": {"shape": [3, 4], "init": {"name": "zeros"}}"#, sdpa, ["q", "k", "v", "m"]), status: 422, pointers: ["/ops/0/inputs/3"]),
    BadRequest(label: "attention mask of higher rank", body: oneOp(qkv + #", "m": {"shape": [1, 2, 3, 5], "init": {"name": "zeros"}}"#, sdpa, ["q", "k", "v", "m"]), status: 422, pointers: ["/ops/0/inputs/3"]),
    BadRequest(label: "attention mask with is_causal", body: oneOp(qkv + #", "m": {"shape": [3, 5], "init": {"name": "zeros"}}"#, sdpa, ["q", "k", "v", "m"], attrs: #""is_causal": true"#), status: 422, pointers: ["/ops/0/attrs/is_causal"]),
    BadRequest(label: "attention is_causal a number", body: oneOp(qkv, sdpa, ["q", "k", "v"], attrs: #""is_causal": 1"#), status: 422, pointers: ["/ops/0/attrs/is_causal"]),
    BadRequest(label: "attention scores beyond the limit", body: oneOp(#""q": {"shape": [1, 20000, 0], "data": []}, "k": {"shape": [1, 20000, 0], "data": []}, "v": {"shape": [1, 20000, 0], "data": []}"#, sdpa, ["q", "k", "v"]), status: 422, pointers: ["/ops/0"]),
]

@Suite struct NormalizationInvalidTests {
    @Test(arguments: normalizationBadRequests)
    func answersWithAProblemAndPointers(_ c: BadRequest) throws {
        let response = GraphService().respond(to: .backward, body: Array(c.body.utf8))
        #expect(response.status == c.status, "\(String(decoding: response.body, as: UTF8.self))")
        #expect(response.contentType == "application/problem+json")
        let problem = try JSONParser.parse(response.body)
        let pointers = problem["errors"]?.arrayValue?.compactMap { $0["pointer"]?.stringValue } ?? []
        #expect(pointers == c.pointers, "\(String(decoding: response.body, as: UTF8.self))")
    }

    /// A row with every key masked answers 200 with zeros there, as torch 2.15.
    @Test func fullyMaskedRowGivesZeros() throws {
        let body = oneOp(#""q": {"data": [[[1, 2], [3, 4]]], "requires_grad": true}, "k": {"data": [[[1, 0], [0, 1]]]}, "v": {"data": [[[5, 6], [7, 8]]]}, "m": {"data": [[0, 0], ["-Infinity", "-Infinity"]]}"#, sdpa, ["q", "k", "v", "m"])
        let response = GraphService().respond(to: .backward, body: Array((body.dropLast() + #", "outputs": ["y"]}"#).utf8))
        #expect(response.status == 200, "\(String(decoding: response.body, as: UTF8.self))")
        let doc = try JSONParser.parse(response.body)
        let row = doc["outputs"]?["y"]?["data"]?.arrayValue?.first?.arrayValue?[1].arrayValue?.compactMap { $0.numberValue?.value }
        #expect(row == [0, 0])
        let dq = doc["gradients"]?["q"]?["data"]?.arrayValue?.first?.arrayValue?[1].arrayValue?.compactMap { $0.numberValue?.value }
        #expect(dq == [0, 0])
    }
}

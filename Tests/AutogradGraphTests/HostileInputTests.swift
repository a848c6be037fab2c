import Autograd
import AutogradGraph
import Foundation
import Testing

/// One hostile request and what it must get: a status (a 4xx with a problem body, or 200
/// for inputs that are odd but valid), and for problems the pointers of the causes (`nil`:
/// any pointers, e.g. where a truncated body ends).
struct HostileCase: Sendable, CustomTestStringConvertible {
    let label: String
    var endpoint: Endpoint = .backward
    let body: [UInt8]
    let status: Int
    var pointers: [String]?

    init(_ label: String, _ body: String, _ status: Int, _ pointers: [String]?) {
        self.init(label, .backward, bytes: Array(body.utf8), status, pointers)
    }

    init(_ label: String, _ endpoint: Endpoint, _ body: String, _ status: Int, _ pointers: [String]?) {
        self.init(label, endpoint, bytes: Array(body.utf8), status, pointers)
    }

    init(_ label: String, bytes: [UInt8], _ status: Int, _ pointers: [String]?) {
        self.init(label, .backward, bytes: bytes, status, pointers)
    }

    init(_ label: String, _ endpoint: Endpoint, bytes: [UInt8], _ status: Int, _ pointers: [String]?) {
        self.label = label
        self.endpoint = endpoint
        self.body = bytes
        self.status = status
        self.pointers = pointers
    }

    var testDescription: String { "\(label) (\(body.count) bytes)" }
}

/// The hostile-input table: hand-written cases, then cases generated from the request
/// schema (every field given every wrong JSON type) and from `Operators.all` (every
/// attribute of every op given values of the wrong type).
enum HostileCases {
    static let valid = #"{"tensors": {"x": {"data": [[1, 2], [3, 4]]}, "W": {"data": [[0.1, 0.2], [0.3, 0.4]], "requires_grad": true}}, "ops": [{"id": "y", "op": "matmul", "inputs": ["x", "W"]}, {"id": "loss", "op": "sum", "inputs": ["y"]}], "loss": "loss"}"#

    static func graph(tensors: String = #""x": {"data": [[1, 2], [3, 4]]}, "W": {"data": [[1, 2], [3, 4]], "requires_grad": true}"#,
                      ops: String = #"{"id": "y", "op": "matmul", "inputs": ["x", "W"]}, {"id": "loss", "op": "sum", "inputs": ["y"]}"#,
                      extra: String = #", "loss": "loss""#) -> String {
        #"{"tensors": {\#(tensors)}, "ops": [\#(ops)]\#(extra)}"#
    }

    static let trainExtra = #", "loss": "loss", "optimizer": {"name": "adam", "lr": 0.1}, "steps": 3"#

    static var handWritten: [HostileCase] {
        let deepArrays = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        let deepObjects = String(repeating: #"{"a":"#, count: 100_000) + "1" + String(repeating: "}", count: 100_000)
        let longName = String(repeating: "n", count: 1_000_000)
        let chain = { (n: Int) -> String in
            var ops = [#"{"id": "o0", "op": "neg", "inputs": ["x"]}"#]
            ops.reserveCapacity(n)
            for i in 1..<n { ops.append(#"{"id": "o\#(i)", "op": "neg", "inputs": ["o\#(i - 1)"]}"#) }
            return graph(tensors: #""x": {"data": 1.5, "requires_grad": true}"#, ops: ops.joined(separator: ","), extra: #", "loss": "o\#(n - 1)""#)
        }
        let wide = (0..<16_384).map { _ in "1" }.joined(separator: ",")
        return [
            // Not JSON at all.
            HostileCase("deep array nesting (10^5 brackets)", deepArrays, 400, nil),
            HostileCase("deep object nesting (10^5 levels)", deepObjects, 400, nil),
            HostileCase("unclosed deep nesting", String(repeating: "[", count: 100_000), 400, nil),
            HostileCase("invalid UTF-8 in a name", bytes: Array(#"{"tensors": {""#.utf8) + [0xFF, 0xFE] + Array(#"": {"data": 1}}, "ops": []}"#.utf8), 400, nil),
            HostileCase("invalid UTF-8 outside strings", bytes: [0x7B, 0xC3, 0x28, 0x7D], 400, nil),
            HostileCase("overlong UTF-8 encoding of '/'", bytes: Array(#"{"tensors": {"a"#.utf8) + [0xC0, 0xAF] + Array(#"": {"data": 1}}, "ops": []}"#.utf8), 400, nil),
            HostileCase("UTF-16 surrogate encoded in UTF-8", bytes: Array(#"{"tensors": {""#.utf8) + [0xED, 0xA0, 0x80] + Array(#"": {"data": 1}}, "ops": []}"#.utf8), 400, nil),
            HostileCase("a lone surrogate escape", #"{"tensors": {"\ud800": {"data": 1}}, "ops": []}"#, 400, nil),
            HostileCase("NUL byte in the body", bytes: Array(#"{"tensors": {}, "ops": []}"#.utf8) + [0], 400, nil),
            HostileCase("duplicate top-level key", #"{"tensors": {}, "ops": [], "ops": []}"#, 400, ["/ops"]),
            HostileCase("duplicate tensor name", #"{"tensors": {"x": {"data": 1}, "x": {"data": 2}}, "ops": []}"#, 400, ["/tensors/x"]),
            HostileCase("duplicate key inside a tensor", #"{"tensors": {"x": {"data": 1, "data": 2}}, "ops": []}"#, 400, ["/tensors/x/data"]),
            HostileCase("byte order mark", bytes: [0xEF, 0xBB, 0xBF] + Array(valid.utf8), 400, nil),
            HostileCase("trailing garbage", valid + "]", 400, nil),
            HostileCase("two documents", valid + valid, 400, nil),
            HostileCase("empty body", "", 400, [""]),
            HostileCase("only whitespace", "  \n\t ", 400, [""]),
            HostileCase("top level is a number", "42", 400, [""]),
            HostileCase("top level is null", "null", 400, [""]),
            // Numbers.
            HostileCase("1e400 in data", graph(tensors: #""x": {"data": [[1, 1e400], [3, 4]]}, "W": {"data": [[1, 2], [3, 4]]}"#), 422, ["/tensors/x/data/0/1"]),
            HostileCase("-1e400 in data", graph(tensors: #""x": {"data": [[1, -1e400], [3, 4]]}, "W": {"data": [[1, 2], [3, 4]]}"#), 422, ["/tensors/x/data/0/1"]),
            HostileCase("1e400 as a dimension", graph(tensors: #""x": {"shape": [1e400], "data": []}, "W": {"data": [[1, 2], [3, 4]]}"#), 400, ["/tensors/x/shape/0"]),
            HostileCase("2^64 as a dimension", graph(tensors: #""x": {"shape": [18446744073709551616, 0], "data": []}, "W": {"data": [[1, 2], [3, 4]]}"#), 422, ["/tensors/x"]),
            HostileCase("1e400 as an attribute", graph(ops: #"{"id": "y", "op": "matmul", "inputs": ["x", "W"]}, {"id": "loss", "op": "sum", "inputs": ["y"], "attrs": {"axis": 1e400}}"#), 422, ["/ops/1/attrs/axis"]),
            HostileCase("2^53 + 1 as an axis", graph(ops: #"{"id": "y", "op": "matmul", "inputs": ["x", "W"]}, {"id": "loss", "op": "sum", "inputs": ["y"], "attrs": {"axis": 9007199254740993}}"#), 422, ["/ops/1/attrs/axis"]),
            HostileCase("Int.min as an axis", graph(ops: #"{"id": "y", "op": "matmul", "inputs": ["x", "W"]}, {"id": "loss", "op": "sum", "inputs": ["y"], "attrs": {"axis": -9223372036854775808}}"#), 422, ["/ops/1/attrs/axis"]),
            HostileCase("huge slice bounds", graph(ops: #"{"id": "y", "op": "slice", "inputs": ["x"], "attrs": {"start": -9007199254740991, "stop": 9007199254740991, "step": 9007199254740991}}, {"id": "loss", "op": "sum", "inputs": ["y"]}"#), 200, nil),
            // Found by review of the fuzz target's reach: formatting an out-of-range class
            // index with Int(v) trapped for integral values past Int's range.
            HostileCase("class index 1e300", #"{"dtype": "float64", "tensors": {"z": {"data": [[1, 2]]}, "t": {"data": [1e300]}}, "ops": [{"id": "loss", "op": "cross_entropy", "inputs": ["z", "t"]}], "loss": "loss"}"#, 422, ["/ops/0/inputs/1"]),
            HostileCase("class index 3e38 in float32", #"{"tensors": {"z": {"data": [[1, 2]]}, "t": {"data": [-3e38]}}, "ops": [{"id": "loss", "op": "cross_entropy", "inputs": ["z", "t"]}], "loss": "loss"}"#, 422, ["/ops/0/inputs/1"]),
            // Normalisation and attention: huge or overflowing shapes never reach a kernel.
            HostileCase("layer_norm normalized_shape of 2^62", graph(ops: #"{"id": "y", "op": "layer_norm", "inputs": ["x"], "attrs": {"normalized_shape": [4611686018427387904, 4]}}, {"id": "loss", "op": "sum", "inputs": ["y"]}"#), 422, ["/ops/0/attrs/normalized_shape"]),
            HostileCase("group_norm num_groups Int.max", graph(ops: #"{"id": "y", "op": "group_norm", "inputs": ["x"], "attrs": {"num_groups": 9223372036854775807}}, {"id": "loss", "op": "sum", "inputs": ["y"]}"#), 422, ["/ops/0/attrs/num_groups"]),
            HostileCase("attention scores of 2^40 from empty q and k", #"{"tensors": {"q": {"shape": [1, 1048576, 0], "data": []}, "k": {"shape": [1, 1048576, 0], "data": []}, "v": {"shape": [1, 1048576, 0], "data": []}}, "ops": [{"id": "y", "op": "scaled_dot_product_attention", "inputs": ["q", "k", "v"]}, {"id": "loss", "op": "sum", "inputs": ["y"]}], "loss": "loss"}"#, 422, ["/ops/0"]),
            HostileCase("attention scale NaN", #"{"tensors": {"q": {"data": [[1, 2]]}, "k": {"data": [[1, 2]]}, "v": {"data": [[1, 2]]}}, "ops": [{"id": "y", "op": "scaled_dot_product_attention", "inputs": ["q", "k", "v"], "attrs": {"scale": "NaN"}}, {"id": "loss", "op": "sum", "inputs": ["y"]}], "loss": "loss"}"#, 422, ["/ops/0/attrs/scale"]),
            HostileCase("1e400 as steps", .train, graph(extra: #", "loss": "loss", "optimizer": {"name": "sgd"}, "steps": 1e400"#), 400, ["/steps"]),
            HostileCase("1e400 as a learning rate", .train, graph(extra: #", "loss": "loss", "optimizer": {"name": "sgd", "lr": 1e400}, "steps": 1"#), 422, ["/optimizer/lr"]),
            HostileCase("steps over the limit", .train, graph(extra: #", "loss": "loss", "optimizer": {"name": "sgd"}, "steps": 10000000000"#), 422, ["/steps"]),
            HostileCase("negative steps", .train, graph(extra: #", "loss": "loss", "optimizer": {"name": "sgd"}, "steps": -1"#), 422, ["/steps"]),
            HostileCase("init seed of 2^64", graph(tensors: #""x": {"shape": [2, 2], "init": {"name": "uniform", "seed": 18446744073709551616}}, "W": {"data": [[1, 2], [3, 4]]}"#), 422, ["/tensors/x/init/seed"]),
            // Dimensions.
            HostileCase("negative dimension", graph(tensors: #""x": {"shape": [-2, 2], "data": []}, "W": {"data": [[1, 2], [3, 4]]}"#), 422, ["/tensors/x/shape/0"]),
            HostileCase("zero dimensions compute", graph(tensors: #""x": {"shape": [0, 2], "data": []}, "W": {"data": [[1, 2], [3, 4]], "requires_grad": true}"#), 200, nil),
            HostileCase("shape [] with an empty array", graph(tensors: #""x": {"shape": [], "data": []}, "W": {"data": [[1, 2], [3, 4]]}"#), 422, ["/tensors/x"]),
            HostileCase("2^62-element shape", graph(tensors: #""x": {"shape": [4611686018427387904], "data": []}, "W": {"data": [[1, 2], [3, 4]]}"#), 422, ["/tensors/x"]),
            HostileCase("2^62-element shape from init", graph(tensors: #""x": {"shape": [2147483648, 2147483648], "init": {"name": "zeros"}}, "W": {"data": [[1, 2], [3, 4]]}"#), 422, ["/tensors/x"]),
            HostileCase("empty tensor with 2^62 dimensions", graph(tensors: #""x": {"shape": [0, 4611686018427387904, 4611686018427387904], "data": []}, "W": {"data": [[1, 2], [3, 4]]}"#), 422, ["/tensors/x"]),
            HostileCase("empty tensor with 2^40 dimensions through matmul", graph(tensors: #""x": {"shape": [0, 1099511627776], "data": []}, "W": {"shape": [1099511627776, 0], "data": []}"#, ops: #"{"id": "y", "op": "matmul", "inputs": ["x", "W"]}"#, extra: ""), 422, ["/tensors/x", "/tensors/W"]),
            HostileCase("rank over the limit", graph(tensors: #""x": {"shape": [1, 1, 1, 1, 1, 1, 1, 1, 1], "data": [1]}, "W": {"data": [[1, 2], [3, 4]]}"#), 422, ["/tensors/x/shape"]),
            HostileCase("nesting deeper than the rank limit", graph(tensors: #""x": {"data": [[[[[[[[[[1]]]]]]]]]]}, "W": {"data": [[1, 2], [3, 4]]}"#), 422, ["/tensors/x/data"]),
            HostileCase("NaN as a dimension", graph(tensors: #""x": {"shape": ["NaN", 2], "data": []}, "W": {"data": [[1, 2], [3, 4]]}"#), 400, ["/tensors/x/shape/0"]),
            HostileCase("Infinity as a dimension", graph(tensors: #""x": {"shape": [2, "Infinity"], "data": []}, "W": {"data": [[1, 2], [3, 4]]}"#), 400, ["/tensors/x/shape/1"]),
            HostileCase("-Infinity as a dimension", graph(tensors: #""x": {"shape": ["-Infinity"], "data": []}, "W": {"data": [[1, 2], [3, 4]]}"#), 400, ["/tensors/x/shape/0"]),
            HostileCase("NaN strings as data compute", graph(tensors: #""x": {"data": [["NaN", "Infinity"], ["-Infinity", 4]]}, "W": {"data": [[1, 2], [3, 4]], "requires_grad": true}"#), 200, nil),
            HostileCase("NaN as an axis", graph(ops: #"{"id": "y", "op": "matmul", "inputs": ["x", "W"]}, {"id": "loss", "op": "sum", "inputs": ["y"], "attrs": {"axis": "NaN"}}"#), 422, ["/ops/1/attrs/axis"]),
            HostileCase("NaN as steps", .train, graph(extra: #", "loss": "loss", "optimizer": {"name": "sgd"}, "steps": "NaN""#), 400, ["/steps"]),
            // Outputs too large, refused before they are allocated, at the op.
            HostileCase("broadcast to 2^28 elements", graph(tensors: #""x": {"shape": [16384, 1], "init": {"name": "ones"}}, "W": {"shape": [1, 16384], "init": {"name": "ones"}}"#, ops: #"{"id": "y", "op": "add", "inputs": ["x", "W"]}"#, extra: ""), 422, ["/ops/0"]),
            HostileCase("matmul to 2^28 elements", graph(tensors: #""x": {"shape": [16384, 1], "init": {"name": "ones"}}, "W": {"shape": [1, 16384], "init": {"name": "ones"}}"#, ops: #"{"id": "y", "op": "matmul", "inputs": ["x", "W"]}"#, extra: ""), 422, ["/ops/0"]),
            HostileCase("linear to 2^28 elements", graph(tensors: #""x": {"shape": [16384, 1], "init": {"name": "ones"}}, "W": {"shape": [1, 16384], "init": {"name": "ones"}}"#, ops: #"{"id": "y", "op": "linear", "inputs": ["x", "W"]}"#, extra: ""), 422, ["/ops/0"]),
            HostileCase("concat of empty tensors past the limit", graph(tensors: #""x": {"shape": [0, 33554432], "data": []}"#, ops: #"{"id": "y", "op": "concat", "inputs": ["x", "x", "x"], "attrs": {"axis": 1}}"#, extra: ""), 422, ["/ops/0"]),
            HostileCase("concat of empty tensors to 2^63", graph(tensors: #""x": {"shape": [0, 4611686018427387904], "data": []}"#, ops: #"{"id": "y", "op": "concat", "inputs": ["x", "x"], "attrs": {"axis": 1}}"#, extra: ""), 422, ["/tensors/x"]),
            HostileCase("reshape an empty tensor to 2^80", graph(tensors: #""x": {"shape": [0], "data": []}"#, ops: #"{"id": "y", "op": "reshape", "inputs": ["x"], "attrs": {"shape": [0, 1099511627776, 1099511627776]}}"#, extra: ""), 422, ["/ops/0"]),
            HostileCase("reshape to 2^124", graph(ops: #"{"id": "y", "op": "reshape", "inputs": ["x"], "attrs": {"shape": [4611686018427387904, 4611686018427387904]}}"#, extra: ""), 422, ["/ops/0/attrs/shape"]),
            HostileCase("reshape with a huge -1 partner", graph(ops: #"{"id": "y", "op": "reshape", "inputs": ["x"], "attrs": {"shape": [-1, 4503599627370496]}}"#, extra: ""), 422, ["/ops/0/attrs/shape"]),
            HostileCase("init tensors past the element limit together", graph(tensors: #""a": {"shape": [8192, 8190], "init": {"name": "zeros"}}, "b": {"shape": [8192, 8192], "init": {"name": "zeros"}}, "x": {"data": [[1, 2], [3, 4]]}, "W": {"data": [[1, 2], [3, 4]]}"#), 422, ["/tensors/b"]),
            HostileCase("intermediates past the element limit together", graph(tensors: #""x": {"shape": [4096, 4096], "init": {"name": "ones"}}"#, ops: (0..<5).map { #"{"id": "y\#($0)", "op": "exp", "inputs": ["x"]}"# }.joined(separator: ","), extra: ""), 422, ["/ops/3", "/ops/4"]),
            HostileCase("a wide tensor computes", graph(tensors: #""x": {"data": [\#(wide)], "requires_grad": true}"#, ops: #"{"id": "loss", "op": "sum", "inputs": ["x"]}"#), 200, nil),
            // Many ops, long names.
            HostileCase("10^5 tiny ops", chain(100_000), 200, nil),
            // The ops are refused as a whole, so the loss, one of them, is undefined too.
            HostileCase("10^5 + 1 ops", chain(100_001), 422, ["/ops", "/loss"]),
            HostileCase("a name of 10^6 characters computes", graph(tensors: #""\#(longName)": {"data": [1, 2], "requires_grad": true}"#, ops: #"{"id": "loss", "op": "sum", "inputs": ["\#(longName)"]}"#), 200, nil),
            HostileCase("an undefined name of 10^6 characters", graph(ops: #"{"id": "y", "op": "matmul", "inputs": ["x", "\#(longName)"]}, {"id": "loss", "op": "sum", "inputs": ["y"]}"#), 422, ["/ops/0/inputs/1"]),
            HostileCase("an op id of 10^6 characters on a cycle", graph(ops: #"{"id": "\#(longName)", "op": "neg", "inputs": ["\#(longName)"]}"#, extra: ""), 422, ["/ops/0"]),
            HostileCase("an unknown op name of 10^6 characters", graph(ops: #"{"id": "y", "op": "\#(longName)", "inputs": ["x"]}"#, extra: ""), 422, ["/ops/0/op"]),
            HostileCase("an unknown field of 10^6 characters", graph(extra: #", "loss": "loss", "\#(longName)": 1"#), 422, ["/" + longName]),
            HostileCase("a dtype of 10^6 characters", #"{"dtype": "\#(longName)", "tensors": {}, "ops": []}"#, 422, ["/dtype"]),
            // Derivatives beyond the first (issue 12): nesting multiplies what a grad records,
            // which the plan estimates and refuses before computing (at the first grad over it).
            HostileCase("grad nested 40 deep", .forward, nestedGrads(40), 422, ["/ops/26"]),
            HostileCase("grad nested 8 deep computes", .forward, nestedGrads(8), 200, nil),
            HostileCase("grad at the end of a 10^5-op chain", .forward, gradChain(99_998), 200, nil),
            HostileCase("/hvp of a 10^5-op chain", .hvp, graph(tensors: #""x": {"data": 1.5}"#, ops: negations(99_999).joined(separator: ","), extra: #", "loss": "o99998", "vectors": {"x": {"data": 1}}"#), 422, ["/vectors"]),
            HostileCase("grad of a scalar with respect to itself", .forward, graph(tensors: #""x": {"data": 2}"#, ops: #"{"id": "g", "op": "grad", "inputs": ["x", "x"]}"#, extra: ""), 200, nil),
            HostileCase("grad of a grad's own input cycle", .forward, graph(tensors: #""x": {"data": 2}"#, ops: #"{"id": "g", "op": "grad", "inputs": ["g", "x"]}"#, extra: ""), 422, ["/ops/0"]),
            HostileCase("a tangent of 2^62 elements", .jvp, graph(extra: #", "tangents": {"x": {"shape": [4611686018427387904], "data": []}}"#), 422, ["/tangents/x"]),
            HostileCase("10^4 vectors of unknown tensors", .hvp, graph(extra: #", "loss": "loss", "vectors": {\#((0..<10_000).map { #""v\#($0)": {"data": 1}"# }.joined(separator: ","))}"#), 422, nil),
            HostileCase("a vector with 1e400", .hvp, graph(extra: #", "loss": "loss", "vectors": {"x": {"data": [[1, 1e400], [3, 4]]}}"#), 422, ["/vectors/x/data/0/1"]),
            HostileCase("a NaN tangent computes", .jvp, graph(extra: #", "tangents": {"x": {"data": [["NaN", 1], [1, 1]]}}"#), 200, nil),
            // Optimizer fields of the wrong type.
            HostileCase("optimizer a string", .train, graph(extra: #", "loss": "loss", "optimizer": "adam", "steps": 1"#), 400, ["/optimizer"]),
            HostileCase("optimizer name a number", .train, graph(extra: #", "loss": "loss", "optimizer": {"name": 1}, "steps": 1"#), 400, ["/optimizer/name"]),
            HostileCase("betas an object", .train, graph(extra: #", "loss": "loss", "optimizer": {"name": "adam", "betas": {}}, "steps": 1"#), 400, ["/optimizer/betas"]),
            HostileCase("betas of three", .train, graph(extra: #", "loss": "loss", "optimizer": {"name": "adam", "betas": [0.9, 0.9, 0.9]}, "steps": 1"#), 400, ["/optimizer/betas"]),
            HostileCase("nesterov a string", .train, graph(extra: #", "loss": "loss", "optimizer": {"name": "sgd", "momentum": 0.9, "nesterov": "yes"}, "steps": 1"#), 400, ["/optimizer/nesterov"]),
            HostileCase("lr negative", .train, graph(extra: #", "loss": "loss", "optimizer": {"name": "sgd", "lr": -1}, "steps": 1"#), 422, ["/optimizer/lr"]),
            HostileCase("a valid training", .train, graph(extra: trainExtra), 200, nil),
        ]
    }

    /// `depth` grads nested over tanh of a [2] tensor: g_i = grad(Σ tanh(g_{i-1}), x).
    static func nestedGrads(_ depth: Int) -> String {
        var ops = [#"{"id": "a0", "op": "tanh", "inputs": ["x"]}"#, #"{"id": "s0", "op": "sum", "inputs": ["a0"]}"#]
        for i in 1...depth {
            ops.append(#"{"id": "g\#(i)", "op": "grad", "inputs": ["s\#(i - 1)", "x"]}"#)
            ops.append(#"{"id": "t\#(i)", "op": "tanh", "inputs": ["g\#(i)"]}"#)
            ops.append(#"{"id": "s\#(i)", "op": "sum", "inputs": ["t\#(i)"]}"#)
        }
        return graph(tensors: #""x": {"data": [0.3, 0.5]}"#, ops: ops.joined(separator: ","), extra: #", "outputs": ["s\#(depth)"]"#)
    }

    /// Ops o0 = −x, o1 = −o0, … o(n−1).
    static func negations(_ n: Int) -> [String] {
        (0..<n).map { i in
            let input = i == 0 ? "x" : "o\(i - 1)"
            return #"{"id": "o\#(i)", "op": "neg", "inputs": ["\#(input)"]}"#
        }
    }

    /// A chain of `n` negations of a scalar, then the gradient of its end with respect to its start.
    static func gradChain(_ n: Int) -> String {
        var ops = negations(n)
        ops.append(#"{"id": "g", "op": "grad", "inputs": ["o\#(n - 1)", "x"]}"#)
        return graph(tensors: #""x": {"data": 1.5}"#, ops: ops.joined(separator: ","), extra: #", "outputs": ["g"]"#)
    }

    /// A valid body cut at many lengths: each prefix is invalid JSON.
    static var truncations: [HostileCase] {
        let bytes = Array(valid.utf8)
        return stride(from: 0, to: bytes.count, by: 9).map { n in
            HostileCase("truncated at \(n) of \(bytes.count) bytes", bytes: Array(bytes[..<n]), 400, nil)
        }
    }

    /// A JSON value of each kind, to put where another kind belongs.
    static let kinds: [(kind: String, json: String)] = [
        ("null", "null"), ("boolean", "true"), ("number", "1"), ("string", #""s""#), ("array", "[]"), ("object", "{}"),
    ]

    /// Every field of the graph document, of tensors and of ops, given every JSON type
    /// it does not accept: 400 with the pointer at the field.
    static var wrongTypes: [HostileCase] {
        var cases: [HostileCase] = []
        // Top-level fields, and the kinds each accepts.
        let topLevel: [(field: String, accepts: Set<String>)] = [
            ("dtype", ["string"]), ("tensors", ["object"]), ("ops", ["array"]), ("loss", ["string", "null"]),
            ("seed", ["object"]), ("outputs", ["array", "null"]), ("gradients", ["array", "null"]),
        ]
        for (field, accepts) in topLevel {
            for (kind, json) in kinds where !accepts.contains(kind) {
                var members = [
                    "tensors": #"{"x": {"data": [[1, 2], [3, 4]]}, "W": {"data": [[1, 2], [3, 4]], "requires_grad": true}}"#,
                    "ops": #"[{"id": "y", "op": "matmul", "inputs": ["x", "W"]}, {"id": "loss", "op": "sum", "inputs": ["y"]}]"#,
                ]
                members[field] = json
                if field != "loss" { members["loss"] = #""loss""# }
                let body = "{" + members.sorted { $0.key < $1.key }.map { #""\#($0.key)": \#($0.value)"# }.joined(separator: ", ") + "}"
                // Without tensors or ops the names the rest of the graph uses are undefined
                // as well: those follow-on problems are listed after the cause.
                let consequences = ["tensors": ["/ops/0/inputs/0", "/ops/0/inputs/1"], "ops": ["/loss"]][field] ?? []
                cases.append(HostileCase("top-level \(field) as \(kind)", body, 400, ["/" + field] + consequences))
            }
        }
        for (field, accepts) in [("optimizer", ["object"]), ("steps", ["number"])] as [(String, Set<String>)] {
            for (kind, json) in kinds where !accepts.contains(kind) {
                let extra = field == "optimizer" ? #", "loss": "loss", "optimizer": \#(json), "steps": 1"# : #", "loss": "loss", "optimizer": {"name": "sgd"}, "steps": \#(json)"#
                cases.append(HostileCase("train \(field) as \(kind)", .train, graph(extra: extra), 400, ["/" + field]))
            }
        }
        // Tensor fields. `data` accepts numbers, arrays and the three non-finite strings.
        let tensorFields: [(field: String, accepts: Set<String>, rest: String)] = [
            ("data", ["number", "array"], ""), ("shape", ["array"], #", "data": [1, 2, 3, 4]"#),
            ("requires_grad", ["boolean"], #", "data": [[1, 2], [3, 4]]"#), ("init", ["object"], #", "shape": [2, 2]"#),
        ]
        for (field, accepts, rest) in tensorFields {
            for (kind, json) in kinds where !accepts.contains(kind) {
                let tensor = #"{"\#(field)": \#(json)\#(rest)}"#
                cases.append(HostileCase("tensor \(field) as \(kind)", graph(tensors: #""x": \#(tensor), "W": {"data": [[1, 2], [3, 4]], "requires_grad": true}"#), 400, ["/tensors/x/" + field]))
            }
        }
        for (kind, json) in kinds where kind != "object" {
            cases.append(HostileCase("tensor as \(kind)", graph(tensors: #""x": \#(json), "W": {"data": [[1, 2], [3, 4]]}"#), 400, ["/tensors/x"]))
            cases.append(HostileCase("op as \(kind)", graph(ops: #"\#(json), {"id": "loss", "op": "sum", "inputs": ["x"]}"#), 400, ["/ops/0"]))
        }
        for (kind, json) in kinds where kind != "number" {
            cases.append(HostileCase("dimension as \(kind)", graph(tensors: #""x": {"shape": [2, \#(json)], "data": [1, 2]}, "W": {"data": [[1, 2], [3, 4]]}"#), 400, ["/tensors/x/shape/1"]))
            if kind != "array" {
                cases.append(HostileCase("data element as \(kind)", graph(tensors: #""x": {"data": [[1, \#(json)], [3, 4]]}, "W": {"data": [[1, 2], [3, 4]]}"#), 400, ["/tensors/x/data/0/1"]))
            }
        }
        // Op fields.
        let opFields: [(field: String, accepts: Set<String>)] = [("id", ["string"]), ("op", ["string"]), ("inputs", ["array"]), ("attrs", ["object", "null"])]
        for (field, accepts) in opFields {
            for (kind, json) in kinds where !accepts.contains(kind) {
                var members = ["id": #""y""#, "op": #""matmul""#, "inputs": #"["x", "W"]"#]
                members[field] = json
                let op = "{" + members.sorted { $0.key < $1.key }.map { #""\#($0.key)": \#($0.value)"# }.joined(separator: ", ") + "}"
                // Without a usable id the loss's input "y" is undefined too; read "x" instead.
                cases.append(HostileCase("op \(field) as \(kind)", graph(ops: op + #", {"id": "loss", "op": "sum", "inputs": ["x"]}"#), 400, ["/ops/0/" + field]))
            }
        }
        for (kind, json) in kinds where kind != "string" {
            cases.append(HostileCase("op input as \(kind)", graph(ops: #"{"id": "y", "op": "matmul", "inputs": ["x", \#(json)]}, {"id": "loss", "op": "sum", "inputs": ["x"]}"#), 400, ["/ops/0/inputs/1"]))
            cases.append(HostileCase("output name as \(kind)", graph(extra: #", "loss": "loss", "outputs": [\#(json)]"#), 400, ["/outputs/0"]))
            cases.append(HostileCase("gradient name as \(kind)", graph(extra: #", "loss": "loss", "gradients": [\#(json)]"#), 400, ["/gradients/0"]))
        }
        return cases
    }

    /// JSON values that are not of `type`, each labelled.
    static func wrongValues(for type: AttributeType) -> [(String, String)] {
        var values: [(String, String)] = [("object", #"{"a": 1}"#), ("array of strings", #"["a"]"#), ("array of fractions", "[0.5]"), ("1e400", "1e400")]
        switch type {
        case .int, .optionalInt:
            values += [("string", #""1""#), ("boolean", "true"), ("fraction", "1.5"), ("array", "[1]"), ("2^53", "9007199254740993")]
        case .intOrInts:
            values += [("string", #""1""#), ("boolean", "true"), ("fraction", "1.5"), ("nested array", "[[1]]")]
        case .ints:
            values += [("string", #""1""#), ("boolean", "true"), ("number", "1"), ("nested array", "[[1]]")]
        case .intPairs:
            values += [("string", #""1""#), ("boolean", "true"), ("number", "1"), ("flat array", "[1, 2]"), ("triple", "[[1, 2, 3]]"), ("deeper nesting", "[[[1, 2]]]")]
        case .number, .optionalNumber:
            values += [("string", #""0.5""#), ("boolean", "true"), ("array", "[1]"), ("NaN string", #""NaN""#)]
        case .bool:
            values += [("string", #""true""#), ("number", "1"), ("array", "[1]")]
        case .intsOrChoice(let options):
            values += [("unknown word", #""not-\#(options.first ?? "")""#), ("boolean", "true"), ("fraction", "1.5"), ("nested array", "[[1]]")]
        case .numberOrChoice(let options):
            values += [("unknown choice", #""not-\#(options.first ?? "")""#), ("boolean", "true"), ("array", "[1]")]
        case .choice(let options):
            values += [("unknown choice", #""not-\#(options.first ?? "")""#), ("number", "1"), ("boolean", "true"), ("array", #"["\#(options.first ?? "")"]"#)]
        }
        return values
    }

    /// Every attribute of every op, with every value of the wrong type: 422 at
    /// `/ops/0/attrs/NAME`, with nothing else wrong in the request.
    static var wrongAttributes: [HostileCase] {
        var cases: [HostileCase] = []
        for type in Operators.all {
            let s = type.signature
            let arity: Int
            switch s.arity {
            case .exactly(let n): arity = n
            case .range(let lo, _): arity = lo
            case .atLeast(let lo): arity = lo
            }
            let inputs = (0..<arity).map { #""a\#($0)""# }.joined(separator: ", ")
            let tensors = (0..<arity).map { #""a\#($0)": {"data": [[1, 2], [3, 4]]}"# }.joined(separator: ", ")
            for a in s.attributes {
                for (label, json) in wrongValues(for: a.type) {
                    let body = graph(tensors: tensors, ops: #"{"id": "y", "op": "\#(s.name)", "inputs": [\#(inputs)], "attrs": {"\#(a.name)": \#(json)}}"#, extra: "")
                    cases.append(HostileCase("\(s.name) \(a.name) as \(label)", .forward, body, 422, ["/ops/0/attrs/\(a.name)"]))
                }
            }
        }
        return cases
    }

    static var all: [HostileCase] { handWritten + truncations + wrongTypes + wrongAttributes }
}

@Suite struct HostileInputTests {
    /// Small enough to check the status, the media type, the problem's fields and the
    /// pointers of one answer.
    static func check(_ c: HostileCase, status: Int, contentType: String, body: [UInt8], sourceLocation: SourceLocation = #_sourceLocation) throws {
        let text = String(decoding: body.prefix(600), as: UTF8.self)
        #expect(status == c.status, "\(text)", sourceLocation: sourceLocation)
        guard c.status != 200 else {
            #expect(contentType == "application/json", sourceLocation: sourceLocation)
            return
        }
        #expect(contentType == "application/problem+json", sourceLocation: sourceLocation)
        let problem = try JSONParser.parse(body, maxDepth: 8)
        #expect(problem["status"]?.numberValue?.exactInt == status, sourceLocation: sourceLocation)
        #expect(problem["title"]?.stringValue?.isEmpty == false, sourceLocation: sourceLocation)
        #expect(problem["detail"]?.stringValue?.isEmpty == false, sourceLocation: sourceLocation)
        #expect(problem["type"]?.stringValue == ProblemType.default(forStatus: status)?.uri, sourceLocation: sourceLocation)
        let errors = problem["errors"]?.arrayValue ?? []
        #expect(!errors.isEmpty, "every cause has a pointer", sourceLocation: sourceLocation)
        for e in errors {
            // Details quote at most a bounded prefix of a name, whatever its length.
            #expect((e["detail"]?.stringValue?.count ?? 0) < 2_000, sourceLocation: sourceLocation)
        }
        if let expected = c.pointers {
            let pointers = errors.compactMap { $0["pointer"]?.stringValue }
            #expect(pointers == expected, "\(text)", sourceLocation: sourceLocation)
        }
    }

    @Test(arguments: HostileCases.all)
    func getsTheSpecifiedAnswer(_ c: HostileCase) throws {
        let r = GraphService().respond(to: c.endpoint, body: c.body)
        try Self.check(c, status: r.status, contentType: r.contentType, body: r.body)
    }

    @Test func theTableCoversEveryOpAttributeAndField() {
        let attributes = Operators.all.reduce(0) { $0 + $1.signature.attributes.count }
        #expect(attributes > 20)
        #expect(HostileCases.wrongAttributes.count >= attributes * 7)
        #expect(HostileCases.wrongTypes.count > 50)
        #expect(HostileCases.all.count > 400)
    }
}

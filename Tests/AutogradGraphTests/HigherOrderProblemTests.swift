import Autograd
@testable import AutogradGraph
import Testing

/// A bad /jvp, /hvp or grad request and the problem it must get.
struct HigherOrderBadRequest: Sendable, CustomTestStringConvertible {
    let label: String
    let endpoint: Endpoint
    let body: String
    let status: Int
    let pointers: [String]
    var testDescription: String { "\(endpoint.rawValue): \(label)" }

    init(_ label: String, _ endpoint: Endpoint, _ body: String, _ status: Int, _ pointers: [String]) {
        self.label = label
        self.endpoint = endpoint
        self.body = body
        self.status = status
        self.pointers = pointers
    }
}

/// `x` [2], `W` [2, 2] (requires_grad), `y` = x·x, `loss` = Σy, then `extra`.
private func graph(ops: String = "", _ extra: String) -> String {
    #"{"dtype": "float64", "tensors": {"x": {"data": [1, 2]}, "W": {"data": [[1, 2], [3, 4]], "requires_grad": true}}, "ops": [{"id": "y", "op": "mul", "inputs": ["x", "x"]}, {"id": "loss", "op": "sum", "inputs": ["y"]}\#(ops)]\#(extra)}"#
}

let higherOrderBadRequests: [HigherOrderBadRequest] = [
    // /hvp's loss.
    .init("no loss", .hvp, graph(#", "vectors": {"x": {"data": [1, 1]}}"#), 422, ["/loss"]),
    .init("a non-scalar loss", .hvp, graph(#", "loss": "y", "vectors": {"x": {"data": [1, 1]}}"#), 422, ["/loss"]),
    .init("a loss that is not defined", .hvp, graph(#", "loss": "nope", "vectors": {"x": {"data": [1, 1]}}"#), 422, ["/loss"]),
    .init("a seed", .hvp, graph(#", "loss": "loss", "seed": {"data": 1}, "vectors": {}"#), 422, ["/seed"]),
    // vectors and tangents.
    .init("vectors missing", .hvp, graph(#", "loss": "loss""#), 400, ["/vectors"]),
    .init("vectors an array", .hvp, graph(#", "loss": "loss", "vectors": [1]"#), 400, ["/vectors"]),
    .init("a vector of an unknown tensor", .hvp, graph(#", "loss": "loss", "vectors": {"q": {"data": [1, 1]}}"#), 422, ["/vectors/q"]),
    .init("a vector of an op", .hvp, graph(#", "loss": "loss", "vectors": {"y": {"data": [1, 1]}}"#), 422, ["/vectors/y"]),
    .init("a vector of the wrong shape", .hvp, graph(#", "loss": "loss", "vectors": {"x": {"data": [1, 1, 1]}}"#), 422, ["/vectors/x"]),
    .init("a vector with requires_grad", .hvp, graph(#", "loss": "loss", "vectors": {"x": {"data": [1, 1], "requires_grad": true}}"#), 422, ["/vectors/x/requires_grad"]),
    .init("a vector with a string in its data", .hvp, graph(#", "loss": "loss", "vectors": {"x": {"data": [1, "one"]}}"#), 400, ["/vectors/x/data/1"]),
    .init("a vector's name escaped in its pointer", .hvp, graph(#", "loss": "loss", "vectors": {"a/b~c": {"data": 1}}"#), 422, ["/vectors/a~1b~0c"]),
    .init("tangents missing", .jvp, graph(""), 400, ["/tangents"]),
    .init("tangents a string", .jvp, graph(#", "tangents": "x""#), 400, ["/tangents"]),
    .init("a tangent of an unknown tensor", .jvp, graph(#", "tangents": {"q": {"data": [1, 1]}}"#), 422, ["/tangents/q"]),
    .init("a tangent of an op", .jvp, graph(#", "tangents": {"loss": {"data": 1}}"#), 422, ["/tangents/loss"]),
    .init("a tangent of the wrong shape", .jvp, graph(#", "tangents": {"W": {"data": [1, 2, 3, 4]}}"#), 422, ["/tangents/W"]),
    .init("a tangent whose b64 is short", .jvp, graph(#", "tangents": {"x": {"shape": [2], "b64": "AAAAAAAA8D8="}}"#), 422, ["/tangents/x/b64"]),
    .init("a seed on /jvp", .jvp, graph(#", "seed": {"data": 1}, "tangents": {}"#), 422, ["/seed"]),
    .init("gradients on /jvp", .jvp, graph(#", "gradients": ["x"], "tangents": {}"#), 422, ["/gradients"]),
    .init("every problem at once", .jvp, graph(#", "tangents": {"q": {"data": 1}, "x": {"data": 1}, "y": {"data": 1}}"#), 422, ["/tangents/q", "/tangents/x", "/tangents/y"]),
    // The grad op.
    .init("grad of a non-scalar", .forward, graph(ops: #", {"id": "g", "op": "grad", "inputs": ["y", "x"]}"#, ""), 422, ["/ops/2"]),
    .init("grad of a non-scalar in /backward", .backward, graph(ops: #", {"id": "g", "op": "grad", "inputs": ["y", "x"]}, {"id": "l", "op": "sum", "inputs": ["g"]}"#, #", "loss": "l""#), 422, ["/ops/2"]),
    .init("grad with one input", .forward, graph(ops: #", {"id": "g", "op": "grad", "inputs": ["loss"]}"#, ""), 422, ["/ops/2/inputs"]),
    .init("grad with three inputs", .forward, graph(ops: #", {"id": "g", "op": "grad", "inputs": ["loss", "x", "W"]}"#, ""), 422, ["/ops/2/inputs"]),
    .init("grad with an attribute", .forward, graph(ops: #", {"id": "g", "op": "grad", "inputs": ["loss", "x"], "attrs": {"create_graph": false}}"#, ""), 422, ["/ops/2/attrs/create_graph"]),
    .init("grad of an undefined name", .forward, graph(ops: #", {"id": "g", "op": "grad", "inputs": ["loss", "nope"]}"#, ""), 422, ["/ops/2/inputs/1"]),
    .init("grad on a cycle", .forward, graph(ops: #", {"id": "g", "op": "grad", "inputs": ["h", "x"]}, {"id": "h", "op": "sum", "inputs": ["g"]}"#, ""), 422, ["/ops/2", "/ops/3"]),
    .init("grad in /hvp, of a non-scalar", .hvp, graph(ops: #", {"id": "g", "op": "grad", "inputs": ["y", "x"]}"#, #", "loss": "loss", "vectors": {}"#), 422, ["/ops/2"]),
]

@Suite struct HigherOrderProblemTests {
    @Test(arguments: higherOrderBadRequests)
    func answersWithAProblemAndPointers(_ c: HigherOrderBadRequest) throws {
        let r = GraphService().respond(to: c.endpoint, body: Array(c.body.utf8))
        let problem = try JSONParser.parse(r.body)
        #expect(r.status == c.status, "\(String(decoding: r.body, as: UTF8.self))")
        #expect(r.contentType == "application/problem+json")
        #expect(problem["type"]?.stringValue == ProblemType.default(forStatus: c.status)?.uri)
        let pointers = problem["errors"]?.arrayValue?.compactMap { $0["pointer"]?.stringValue } ?? []
        #expect(pointers == c.pointers, "\(String(decoding: r.body, as: UTF8.self))")
    }

    /// A service whose requests may carry `"test": [{"id", "op": "cube" | "cube_twice", "input"}]`:
    /// ops outside the registry, as an importer adds them, so that a request can reach an op
    /// that cannot be differentiated twice whatever the registry's ops become.
    static let service = GraphService(importer: TestOpImporter())

    @Test func anOpWithoutADifferentiableVJPIs422AtThatOp() throws {
        // h = x³ (a first-order-only op), loss = Σh: /hvp differentiates h's VJP again.
        let body = #"""
            {"dtype": "float64", "tensors": {"x": {"data": [1, 2]}}, "ops": [{"id": "loss", "op": "sum", "inputs": ["h"]}],
             "test": [{"id": "h", "op": "cube", "input": "x"}], "loss": "loss", "vectors": {"x": {"data": [1, 1]}}}
            """#
        let r = Self.service.respond(to: .hvp, body: Array(body.utf8))
        #expect(r.status == 422)
        let problem = try JSONParser.parse(r.body)
        let errors = problem["errors"]?.arrayValue ?? []
        #expect(errors.count == 1)
        #expect(errors.first?["pointer"]?.stringValue == "/test/0")
        #expect(errors.first?["detail"]?.stringValue?.hasPrefix("test_cube cannot be differentiated twice") == true, "\(errors)")
        // The same op under a grad op (/forward) and in /jvp; first order (/backward) is fine.
        let forward = #"""
            {"dtype": "float64", "tensors": {"x": {"data": [1, 2]}}, "ops": [{"id": "s", "op": "sum", "inputs": ["h"]},
             {"id": "g", "op": "grad", "inputs": ["s", "x"]}, {"id": "gs", "op": "sum", "inputs": ["g"]}, {"id": "gg", "op": "grad", "inputs": ["gs", "x"]}],
             "test": [{"id": "h", "op": "cube", "input": "x"}]}
            """#
        let f = Self.service.respond(to: .forward, body: Array(forward.utf8))
        #expect(f.status == 422)
        #expect(try JSONParser.parse(f.body)["errors"]?.arrayValue?.first?["pointer"]?.stringValue == "/test/0")
        let jvp = #"""
            {"tensors": {"x": {"data": [1, 2]}}, "ops": [], "test": [{"id": "h", "op": "cube", "input": "x"}], "tangents": {"x": {"data": [1, 0]}}}
            """#
        let j = Self.service.respond(to: .jvp, body: Array(jvp.utf8))
        #expect(j.status == 422)
        #expect(try JSONParser.parse(j.body)["errors"]?.arrayValue?.first?["pointer"]?.stringValue == "/test/0")
        let backward = #"""
            {"dtype": "float64", "tensors": {"x": {"data": [1, 2], "requires_grad": true}}, "ops": [{"id": "loss", "op": "sum", "inputs": ["h"]}],
             "test": [{"id": "h", "op": "cube", "input": "x"}], "loss": "loss"}
            """#
        let b = Self.service.respond(to: .backward, body: Array(backward.utf8))
        #expect(b.status == 200)
        HigherOrderRequestTests.expectTensor(try JSONParser.parse(b.body)["gradients"]?["x"], [2], [3, 12])
    }

    @Test func anOpFoundOnlyWhileRunningIs422AtThatOpToo() throws {
        // h = cube(g) with g = grad(Σx², x) = 2x: whether g is recorded depends on the
        // formulas, so the plan does not follow it; the second grad meets cube as it runs.
        let body = #"""
            {"dtype": "float64", "tensors": {"x": {"data": [1, 2]}},
             "ops": [{"id": "xx", "op": "mul", "inputs": ["x", "x"]}, {"id": "s0", "op": "sum", "inputs": ["xx"]},
                     {"id": "g", "op": "grad", "inputs": ["s0", "x"]}, {"id": "s", "op": "sum", "inputs": ["h"]},
                     {"id": "gg", "op": "grad", "inputs": ["s", "x"]}],
             "test": [{"id": "h", "op": "cube", "input": "g"}], "outputs": ["gg"]}
            """#
        let r = Self.service.respond(to: .forward, body: Array(body.utf8))
        #expect(r.status == 422)
        let errors = try JSONParser.parse(r.body)["errors"]?.arrayValue ?? []
        #expect(errors.map { $0["pointer"]?.stringValue } == ["/test/0"])
        #expect(errors.first?["detail"]?.stringValue?.contains("so computing /ops/4 fails: CubeBackward") == true, "\(errors)")
    }

    @Test func anOpInsideADerivativeIs422AtTheRequestPart() throws {
        // cube_twice is differentiable once over, through cube: its second derivative meets
        // cube inside the gradient's graph, which no op of the request is.
        let body = #"""
            {"dtype": "float64", "tensors": {"x": {"data": [1, 2]}}, "ops": [{"id": "loss", "op": "sum", "inputs": ["h"]}],
             "test": [{"id": "h", "op": "cube_twice", "input": "x"}], "loss": "loss", "vectors": {"x": {"data": [1, 1]}}}
            """#
        let r = Self.service.respond(to: .hvp, body: Array(body.utf8))
        #expect(r.status == 422)
        let errors = try JSONParser.parse(r.body)["errors"]?.arrayValue ?? []
        #expect(errors.map { $0["pointer"]?.stringValue } == ["/vectors"])
        #expect(errors.first?["detail"]?.stringValue?.contains("CubeBackward") == true, "\(errors)")
        // One derivative of it is fine: the grad op gives 3x².
        let once = #"""
            {"dtype": "float64", "tensors": {"x": {"data": [1, 2]}}, "ops": [{"id": "s", "op": "sum", "inputs": ["h"]}, {"id": "g", "op": "grad", "inputs": ["s", "x"]}],
             "test": [{"id": "h", "op": "cube_twice", "input": "x"}], "outputs": ["g"]}
            """#
        let g = Self.service.respond(to: .forward, body: Array(once.utf8))
        #expect(g.status == 200)
        HigherOrderRequestTests.expectTensor(try JSONParser.parse(g.body)["outputs"]?["g"], [2], [3, 12])
    }
}

/// x³ with a first-order VJP only.
struct Cube: Operator {
    static let signature = OpSignature(name: "test_cube", arity: .exactly(1), inputs: ["x"], summary: "x³ (tests)")
    init() {}
    init(attributes: Attributes) throws(OpError) {}
    func outputShape(_ inputs: [[Int]]) throws(OpError) -> [Int] { inputs[0] }
    func forward<T: Scalar>(_ x: [NDArray<T>]) -> NDArray<T> {
        NDArray(shape: x[0].shape, data: x[0].data.map { $0 * $0 * $0 })
    }
    func vjp<T: Scalar>(_ grad: NDArray<T>, inputs x: [NDArray<T>], output: NDArray<T>, needs: [Bool]) -> [NDArray<T>?] {
        [NDArray(shape: x[0].shape, data: zip(grad.data, x[0].data).map { g, v in g * 3 * v * v })]
    }
}

/// x³ whose differentiable VJP is 3x²·g plus 0·cube(x): right once, but its own
/// derivative runs into `Cube`'s VJP, which has no differentiable form.
struct CubeTwice: DifferentiableOperator {
    static let signature = OpSignature(name: "test_cube_twice", arity: .exactly(1), inputs: ["x"], summary: "x³ (tests)")
    init() {}
    init(attributes: Attributes) throws(OpError) {}
    func outputShape(_ inputs: [[Int]]) throws(OpError) -> [Int] { inputs[0] }
    func forward<T: Scalar>(_ x: [NDArray<T>]) -> NDArray<T> { Cube().forward(x) }
    func vjp<T: Scalar>(_ grad: NDArray<T>, inputs x: [NDArray<T>], output: NDArray<T>, needs: [Bool]) -> [NDArray<T>?] {
        Cube().vjp(grad, inputs: x, output: output, needs: needs)
    }
    func differentiableVJP<T: Scalar>(
        _ grad: Tensor<T>, inputs x: [Tensor<T>], output: Tensor<T>, needs: [Bool]
    ) throws(OpError) -> [Tensor<T>?] {
        let three = Tensor(NDArray<T>(repeating: 3, shape: []))
        let square = try Tensor.apply(Mul(), [x[0], x[0]])
        let zero = Tensor(NDArray<T>(repeating: 0, shape: []))
        let ghost = try Tensor.apply(Mul(), [try Tensor.apply(Cube(), [x[0]]), zero])
        let d = try Tensor.apply(Add(), [try Tensor.apply(Mul(), [square, three]), ghost])
        return [try Tensor.apply(Mul(), [grad, d])]
    }
}

/// Adds `"test"`'s ops to a request, pointing problems at `/test/i`.
struct TestOpImporter: GraphImporter {
    var field: String { "test" }
    var catalog: JSONValue { [] }
    func expand(_ value: JSONValue, into request: inout GraphRequest, problems: inout ProblemList, limits: GraphLimits) {
        for (i, item) in (value.arrayValue ?? []).enumerated() {
            guard let id = item["id"]?.stringValue, let input = item["input"]?.stringValue else { continue }
            let op: any Operator = item["op"]?.stringValue == "cube_twice" ? CubeTwice() : Cube()
            request.ops.append(OpInput(imported: id, op: op, inputs: [input], origin: "/test/\(i)"))
        }
    }
}

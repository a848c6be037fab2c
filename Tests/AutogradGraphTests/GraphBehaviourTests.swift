import AutogradGraph
import Foundation
import Testing

/// What the graph format promises beyond single ops: the README's example, ordering,
/// reuse, defaults, and determinism.
@Suite struct GraphBehaviourTests {
    private func run(_ body: String, endpoint: Endpoint = .backward) throws -> (Int, JSONValue) {
        let r = GraphService().respond(to: endpoint, body: Array(body.utf8))
        return (r.status, try JSONParser.parse(r.body))
    }

    private func values(_ v: JSONValue?) -> [Double] { WireTensor(v)?.data ?? [] }

    @Test func theReadmeExampleGivesTheSeedEnginesNumbers() throws {
        let body = try FixturePaths.bytes(FixturePaths.examples.appendingPathComponent("seed-linear-mse.json"))
        let expected = try FixturePaths.json(FixturePaths.examples.appendingPathComponent("seed-linear-mse.response.json"))
        let response = GraphService().respond(to: .backward, body: body)
        #expect(response.status == 200)
        #expect(response.contentType == "application/json")
        let actual = try JSONParser.parse(response.body)
        expectResponse(actual, matches: expected, rtol: 1e-6, atol: 1e-6, "seed example")
        // The numbers the issue states, to float32 precision.
        let close = { (a: [Double], b: [Double]) in a.count == b.count && zip(a, b).allSatisfy { abs($0 - $1) < 1e-6 } }
        #expect(close(values(actual["outputs"]?["loss"]), [1.16]))
        #expect(close(values(actual["gradients"]?["W"]), [1.6, 3.0, 2.2, 4.2]))
        #expect(close(values(actual["gradients"]?["b"]), [0.6, 1.2]))
    }

    /// The server hands its only copy of a body over with `respond(to:taking:since:)`: the
    /// body is emptied once parsed (so its storage is freed before the answer is built),
    /// and the answer is the same bytes as `respond(to:body:)` gives, for a good request
    /// and for one that does not parse.
    @Test func takingTheBodyEmptiesItAndAnswersTheSameBytes() throws {
        let good = try FixturePaths.bytes(FixturePaths.examples.appendingPathComponent("seed-linear-mse.json"))
        for body in [good, Array(#"{"tensors": ["#.utf8)] {
            var taken = body
            let response = GraphService().respond(to: .backward, taking: &taken, since: .now)
            #expect(taken.isEmpty)
            let reference = GraphService().respond(to: .backward, body: body)
            #expect(response.status == reference.status)
            #expect(response.body == reference.body)
        }
    }

    @Test func opsMayComeInAnyOrder() throws {
        let ordered = #"{"tensors": {"a": {"data": [1, 2, 3], "requires_grad": true}}, "ops": [{"id": "b", "op": "mul", "inputs": ["a", "a"]}, {"id": "c", "op": "add", "inputs": ["b", "a"]}, {"id": "d", "op": "sum", "inputs": ["c"]}], "loss": "d"}"#
        let shuffled = #"{"tensors": {"a": {"data": [1, 2, 3], "requires_grad": true}}, "ops": [{"id": "d", "op": "sum", "inputs": ["c"]}, {"id": "c", "op": "add", "inputs": ["b", "a"]}, {"id": "b", "op": "mul", "inputs": ["a", "a"]}], "loss": "d"}"#
        let a = GraphService().respond(to: .backward, body: Array(ordered.utf8))
        let b = GraphService().respond(to: .backward, body: Array(shuffled.utf8))
        #expect(a.status == 200)
        #expect(a.body == b.body)
        // d = Σ a² + a: 1+1 + 4+2 + 9+3; dd/da = 2a + 1.
        let (_, json) = try run(ordered)
        #expect(values(json["outputs"]?["d"]) == [20])
        #expect(values(json["gradients"]?["a"]) == [3, 5, 7])
    }

    @Test func aValueUsedTwiceAccumulatesBothGradients() throws {
        let (status, json) = try run(#"{"dtype": "float64", "tensors": {"x": {"data": 3, "requires_grad": true}}, "ops": [{"id": "y", "op": "mul", "inputs": ["x", "x"]}], "loss": "y"}"#)
        #expect(status == 200)
        #expect(values(json["gradients"]?["x"]) == [6])
    }

    @Test func anUnusedParameterGetsAZeroGradient() throws {
        let (status, json) = try run(#"{"tensors": {"x": {"data": [1, 2], "requires_grad": true}, "unused": {"data": [[1, 2, 3]], "requires_grad": true}}, "ops": [{"id": "s", "op": "sum", "inputs": ["x"]}], "loss": "s"}"#)
        #expect(status == 200)
        #expect(WireTensor(json["gradients"]?["unused"]) == WireTensor(shape: [1, 3], data: [0, 0, 0]))
        #expect(values(json["gradients"]?["x"]) == [1, 1])
    }

    @Test func aListedTensorGetsItsGradientWithoutRequiresGrad() throws {
        let (status, json) = try run(#"{"tensors": {"x": {"data": [1, 2]}, "w": {"data": [3, 4], "requires_grad": true}}, "ops": [{"id": "p", "op": "mul", "inputs": ["x", "w"]}, {"id": "s", "op": "sum", "inputs": ["p"]}], "loss": "s", "gradients": ["x"]}"#)
        #expect(status == 200)
        #expect(json["gradients"]?.objectValue?.keys == ["x"])
        #expect(values(json["gradients"]?["x"]) == [3, 4])
    }

    @Test func aSeedGivesAVectorJacobianProduct() throws {
        let (status, json) = try run(#"{"dtype": "float64", "tensors": {"x": {"data": [1, 2, 3], "requires_grad": true}}, "ops": [{"id": "y", "op": "mul", "inputs": ["x", "x"]}], "loss": "y", "seed": {"data": [1, 0.5, -1]}}"#)
        #expect(status == 200)
        #expect(values(json["gradients"]?["x"]) == [2, 2, -6])
        #expect(WireTensor(json["outputs"]?["y"]) == WireTensor(shape: [3], data: [1, 4, 9]))
    }

    @Test func withoutALossEveryUnreadOpIsAnOutputAndNoGradientIsComputed() throws {
        let (status, json) = try run(#"{"tensors": {"a": {"data": [1, 2], "requires_grad": true}}, "ops": [{"id": "n", "op": "neg", "inputs": ["a"]}, {"id": "m", "op": "mul", "inputs": ["n", "a"]}, {"id": "s", "op": "sum", "inputs": ["a"]}]}"#)
        #expect(status == 200)
        #expect(json["outputs"]?.objectValue?.keys == ["m", "s"])
        #expect(json["gradients"]?.objectValue?.count == 0)
    }

    @Test func shapesComeFromNestingOrFromAnExplicitShape() throws {
        let (status, json) = try run(#"{"tensors": {"a": {"shape": [2, 3], "data": [1, 2, 3, 4, 5, 6]}, "b": {"data": [[[1], [2]]]}, "s": {"shape": [], "data": 7}}, "ops": [{"id": "p", "op": "add", "inputs": ["a", "b"]}, {"id": "q", "op": "neg", "inputs": ["s"]}], "outputs": ["p", "q"]}"#)
        #expect(status == 200)
        #expect(WireTensor(json["outputs"]?["p"]) == WireTensor(shape: [1, 2, 3], data: [2, 3, 4, 6, 7, 8]))
        #expect(json["outputs"]?["q"]?["data"] == .number(JSONNumber(value: -7, isIntegerLiteral: false)))
        #expect(WireTensor(json["outputs"]?["q"])?.shape == [])
    }

    @Test func aResponseTensorCanBeSentBackAsARequestTensor() throws {
        let (status, json) = try run(#"{"tensors": {"a": {"shape": [2, 2], "data": [[1, 2], [3, 4]]}}, "ops": [{"id": "n", "op": "neg", "inputs": ["a"]}]}"#)
        #expect(status == 200)
        #expect(WireTensor(json["outputs"]?["n"]) == WireTensor(shape: [2, 2], data: [-1, -2, -3, -4]))
        let (bad, problem) = try run(#"{"tensors": {"a": {"shape": [2, 2], "data": [[1, 2], [3]]}}, "ops": []}"#)
        #expect(bad == 422)
        #expect(problem["errors"]?.arrayValue?.first?["pointer"] == "/tensors/a/data")
    }

    @Test func nonFiniteValuesTravelAsStrings() throws {
        let response = GraphService().respond(to: .backward, body: Array(#"{"dtype": "float64", "tensors": {"a": {"data": ["NaN", "Infinity", "-Infinity", 1]}}, "ops": [{"id": "n", "op": "neg", "inputs": ["a"]}]}"#.utf8))
        #expect(String(decoding: response.body, as: UTF8.self)
            == #"{"dtype":"float64","outputs":{"n":{"shape":[4],"data":["NaN","-Infinity","Infinity",-1.0]}},"gradients":{}}"#)
    }

    @Test func aChainOfAHundredThousandOpsNeitherOverflowsNorRecurses() throws {
        var ops: [String] = []
        ops.reserveCapacity(100_000)
        ops.append(#"{"id": "v0", "op": "neg", "inputs": ["x"]}"#)
        for i in 1..<100_000 { ops.append(#"{"id": "v\#(i)", "op": "neg", "inputs": ["v\#(i - 1)"]}"#) }
        let body = #"{"dtype": "float64", "tensors": {"x": {"data": 2, "requires_grad": true}}, "ops": [\#(ops.joined(separator: ","))], "loss": "v99999"}"#
        let (status, json) = try run(body)
        #expect(status == 200)
        #expect(values(json["outputs"]?["v99999"]) == [2])  // an even number of negations
        #expect(values(json["gradients"]?["x"]) == [1])
    }
}

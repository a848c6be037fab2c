import Autograd
import Foundation
import Testing

@testable import AutogradGraph

/// The planner's elementwise fusion (`GraphPlan.fusedSteps`): which steps it fuses, and
/// that a fused request answers the same bytes as the same request run op by op.
@Suite struct FusionPassTests {
    struct Run {
        let body: [UInt8]
        let steps: [GraphPlan.Step]
    }

    /// Plans `json` as POST /backward and runs it, fused or op by op.
    func run(_ json: String, fuse: Bool) throws -> Run {
        let limits = GraphLimits()
        let document = try JSONParser.parse(Array(json.utf8), maxDepth: 64, packing: ["data"])
        var decoder = RequestDecoder(endpoint: .backward, limits: limits)
        let request = try decoder.decode(document)
        let plan = try GraphPlan(request, problems: decoder.problems, limits: limits, needsGradients: true)
        func go<T: Scalar>(_: T.Type) throws -> Run {
            var executor = Executor<T>(plan: plan, differentiate: true, fuse: fuse)
            try executor.forward()
            try executor.backward()
            return Run(body: executor.encode(gradients: true), steps: executor.steps)
        }
        return request.dtype == .float32 ? try go(Float.self) : try go(Double.self)
    }

    /// A request with `tensors` (name: shape, all requiring gradients, deterministic
    /// values with zeros, negatives and ties) and `ops` (id, op, inputs).
    func request(
        dtype: String = "float64", tensors: [(String, [Int])], ops: [(String, String, [String])], loss: String,
        outputs: [String]? = nil
    ) -> String {
        let ts = tensors.enumerated().map { k, t in
            let n = t.1.reduce(1, *)
            let data = (0..<n).map { i in String(Double((i * 7 + k * 3) % 11) / 4 - 1.25) }.joined(separator: ",")
            return "\"\(t.0)\": {\"shape\": \(t.1), \"data\": [\(data)], \"requires_grad\": true}"
        }
        let os = ops.map { "{\"id\": \"\($0.0)\", \"op\": \"\($0.1)\", \"inputs\": [\($0.2.map { "\"\($0)\"" }.joined(separator: ","))]}" }
        var s = "{\"dtype\": \"\(dtype)\", \"tensors\": {\(ts.joined(separator: ","))}, \"ops\": [\(os.joined(separator: ","))], \"loss\": \"\(loss)\""
        if let outputs { s += ", \"outputs\": [\(outputs.map { "\"\($0)\"" }.joined(separator: ","))]" }
        return s + "}"
    }

    func fusedOps(_ r: Run) -> [FusedElementwise] { r.steps.compactMap { $0.operator as? FusedElementwise } }

    func expectSameAnswer(_ json: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> Run {
        let fused = try run(json, fuse: true)
        let plain = try run(json, fuse: false)
        #expect(fused.body == plain.body, "fused and op-by-op answers differ", sourceLocation: sourceLocation)
        return fused
    }

    @Test(arguments: ["float32", "float64"])
    func theW3ChainBecomesOneStep(dtype: String) throws {
        let json = request(
            dtype: dtype, tensors: [("a", [3000]), ("b", [3000])],
            ops: [("ab", "mul", ["a", "b"]), ("z", "add", ["ab", "a"]), ("s", "sigmoid", ["z"]), ("loss", "sum", ["s"])],
            loss: "loss")
        let r = try expectSameAnswer(json)
        #expect(r.steps.count == 1)
        let f = try #require(fusedOps(r).first)
        #expect(f.sumsOutput && f.inputCount == 2)
        #expect(f.instructions == [.binary(.mul, 0, 1), .binary(.add, 2, 0), .unary(.sigmoid, 3)])
        // It is the loss, seeded with 1: its gradients come from the forward pass.
        #expect(f.gradientsInForward)
        // With a seed of its own, the backward pass computes them (and answers the same).
        let seeded = String(json.dropLast()) + ", \"seed\": {\"data\": 2.5}}"
        let s = try expectSameAnswer(seeded)
        #expect(fusedOps(s).first.map { $0.sumsOutput && !$0.gradientsInForward } == true)
    }

    @Test func aRequestedIntermediateIsKept() throws {
        let json = request(
            tensors: [("a", [40]), ("b", [40])],
            ops: [("ab", "mul", ["a", "b"]), ("z", "tanh", ["ab"]), ("e", "exp", ["z"]), ("loss", "mean", ["e"])],
            loss: "loss", outputs: ["loss", "z"])
        let r = try expectSameAnswer(json)
        // z is an output: ab and z fuse (z is their root), e stays apart; mean is no sum.
        #expect(r.steps.count == 3)
        #expect(fusedOps(r).map(\.instructions) == [[.binary(.mul, 0, 1), .unary(.tanh, 2)]])
    }

    @Test func anIntermediateReadByAnotherOpIsKept() throws {
        let json = request(
            tensors: [("x", [4, 3]), ("W", [3, 3])],
            ops: [("h", "relu", ["x"]), ("g", "exp", ["h"]), ("m", "matmul", ["h", "W"]), ("t", "add", ["m", "g"]),
                  ("u", "sigmoid", ["t"]), ("loss", "sum", ["u"])],
            loss: "loss")
        let r = try expectSameAnswer(json)
        // h feeds matmul, so it is not absorbed; g (read only by t) fuses into t's group.
        #expect(r.steps.map { type(of: $0.operator).signature.name } == ["relu", "matmul", "fused_elementwise"])
        #expect(fusedOps(r).first?.inputCount == 2)  // m and h
    }

    @Test func partialBroadcastsStayUnfused() throws {
        // [3,1] + [1,4]: neither input has the element shape nor one element.
        let json = request(
            tensors: [("a", [3, 1]), ("b", [1, 4]), ("c", [])],
            ops: [("s", "add", ["a", "b"]), ("t", "mul", ["s", "c"]), ("u", "exp", ["t"]), ("loss", "sum", ["u"])],
            loss: "loss")
        let r = try expectSameAnswer(json)
        // add stays; mul by the scalar, exp and the sum fuse.
        #expect(r.steps.map { type(of: $0.operator).signature.name } == ["add", "fused_elementwise"])
        #expect(fusedOps(r).first?.sumsOutput == true)
    }

    @Test func longChainsSplitIntoBoundedGroups() throws {
        var ops: [(String, String, [String])] = [("h0", "mul", ["x", "k"])]
        for i in 1..<80 { ops.append(("h\(i)", i % 2 == 0 ? "mul" : "add", ["h\(i - 1)", i % 2 == 0 ? "k" : "c"])) }
        ops.append(("loss", "sum", ["h79"]))
        let json = request(tensors: [("x", [100]), ("k", []), ("c", [100])], ops: ops, loss: "loss")
        let r = try expectSameAnswer(json)
        let groups = fusedOps(r)
        #expect(r.steps.count == groups.count && groups.count == 3)
        #expect(groups.allSatisfy { $0.instructions.count <= GraphPlan.maxFusedInstructions })
        #expect(groups.map(\.instructions.count).reduce(0, +) == 80)
        // Planned the same way every time.
        #expect(try run(json, fuse: true).steps.map(\.slot) == r.steps.map(\.slot))
    }

    @Test func graphEndpointDrawsEveryIntermediate() throws {
        let json = request(
            tensors: [("a", [5]), ("b", [5])],
            ops: [("ab", "mul", ["a", "b"]), ("s", "sigmoid", ["ab"]), ("loss", "sum", ["s"])], loss: "loss")
        let response = GraphService().respond(to: .graph, body: Array(json.utf8))
        #expect(response.status == 200)
        let dot = String(decoding: response.body, as: UTF8.self)
        // Three op nodes (o0 mul, o1 sigmoid, o2 sum), none of them fused.
        #expect(dot.contains("  o2 [") && !dot.contains("  o3 ["))
        #expect(!dot.contains("fused"))
    }
}

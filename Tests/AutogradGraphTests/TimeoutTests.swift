import Autograd
import Foundation
import Testing

@testable import AutogradGraph

/// `GraphLimits.requestTimeoutSeconds`: a request computing past it stops between ops
/// (forward, backward, /train steps) and answers 503 with a problem saying so.
@Suite struct TimeoutTests {
    private func service(timeout: Double) -> GraphService {
        var limits = GraphLimits()
        limits.requestTimeoutSeconds = timeout
        return GraphService(limits: limits)
    }

    /// A chain of `count` 512×512 matrix products (268 MFLOP each): seconds of work on
    /// any machine, within the default element limit.
    private func matmulChain(_ count: Int, endpoint: Endpoint = .backward) -> String {
        var ops = [#"{"id": "h0", "op": "matmul", "inputs": ["x", "W"]}"#]
        for i in 1..<count { ops.append(#"{"id": "h\#(i)", "op": "matmul", "inputs": ["h\#(i - 1)", "W"]}"#) }
        ops.append(#"{"id": "loss", "op": "mean", "inputs": ["h\#(count - 1)"]}"#)
        return #"{"tensors": {"x": {"shape": [512, 512], "init": {"name": "zeros"}}, "#
            + #""W": {"shape": [512, 512], "init": {"name": "zeros"}, "requires_grad": true}}, "#
            + #""ops": [\#(ops.joined(separator: ", "))], "loss": "loss"}"#
    }

    private func expectTimeoutProblem(_ r: Response, _ stages: [String], limit: String = "0.5 s", sourceLocation: SourceLocation = #_sourceLocation) throws {
        #expect(r.status == 503, sourceLocation: sourceLocation)
        #expect(r.contentType == "application/problem+json", sourceLocation: sourceLocation)
        #expect(r.headers.isEmpty, "no Retry-After: the same request would run as long again", sourceLocation: sourceLocation)
        let json = try JSONParser.parse(r.body)
        #expect(json["status"] == 503, sourceLocation: sourceLocation)
        let detail = json["detail"]?.stringValue ?? ""
        #expect(detail.contains("request timeout of \(limit)"), "\(detail)", sourceLocation: sourceLocation)
        #expect(stages.contains { detail.contains($0) }, "\(detail)", sourceLocation: sourceLocation)
    }

    @Test(arguments: [Endpoint.forward, .backward])
    func aLongForwardPassStopsBetweenOps(endpoint: Endpoint) throws {
        let body = Array(matmulChain(200).utf8)
        let clock = ContinuousClock()
        var response: Response?
        // 200 products are 54 GFLOP: far more than any CPU does in 0.05 s (a 0.5 s limit was
        // met by a quiet machine with fast BLAS, and the request then finished in time).
        let elapsed = clock.measure { response = service(timeout: 0.05).respond(to: endpoint, body: body) }
        try expectTimeoutProblem(try #require(response), ["of the forward pass"], limit: "0.05 s")
        // One 512×512 product past the deadline at most (plus parsing), not 200 of them.
        #expect(elapsed < .seconds(4), "stopped after \(elapsed)")
    }

    @Test func aLongTrainingStopsBetweenSteps() throws {
        let body = #"{"tensors": {"x": {"shape": [64, 64], "init": {"name": "uniform", "seed": 1}}, "W": {"shape": [64, 64], "init": {"name": "uniform", "seed": 2}, "requires_grad": true}}, "ops": [{"id": "y", "op": "matmul", "inputs": ["x", "W"]}, {"id": "loss", "op": "mean", "inputs": ["y"]}], "loss": "loss", "optimizer": {"name": "sgd", "lr": 0.01}, "steps": 10000}"#
        let clock = ContinuousClock()
        var response: Response?
        var limits = GraphLimits()
        limits.requestTimeoutSeconds = 0.05  // 10,000 steps take well over 0.05 s anywhere
        limits.maxTrainSteps = 1_000_000
        let elapsed = clock.measure { response = GraphService(limits: limits).respond(to: .train, body: Array(body.utf8)) }
        let r = try #require(response)
        try expectTimeoutProblem(r, ["at step", "forward pass", "backward pass"], limit: "0.05 s")
        #expect(elapsed < .seconds(4))
    }

    @Test func theBackwardPassStopsBetweenNodes() throws {
        // Plan a small graph, run its forward pass, then let the deadline pass: the
        // backward pass must stop through the engine's shouldStop hook.
        let body = #"{"tensors": {"a": {"data": [1, 2, 3], "requires_grad": true}}, "ops": [{"id": "b", "op": "mul", "inputs": ["a", "a"]}, {"id": "c", "op": "exp", "inputs": ["b"]}, {"id": "d", "op": "sum", "inputs": ["c"]}], "loss": "d"}"#
        let limits = GraphLimits()
        var decoder = RequestDecoder(endpoint: .backward, limits: limits)
        let request = try decoder.decode(try JSONParser.parse(Array(body.utf8)))
        let plan = try GraphPlan(request, problems: decoder.problems, limits: limits, needsGradients: true)
        var executor = Executor<Double>(plan: plan, differentiate: true, deadline: Deadline(seconds: 0.5))
        try executor.forward()
        Thread.sleep(forTimeInterval: 0.6)
        do {
            try executor.backward()
            Issue.record("backward ran past its deadline")
        } catch {
            try expectTimeoutProblem(error.response, ["during the backward pass"])
        }
    }

    @Test func withinTheLimitOrWithoutOneTheAnswerIsComplete() throws {
        let body = Array(matmulChain(2).utf8)
        for timeout in [30, 0, -1, .infinity, .nan, 1e300] as [Double] {
            let r = service(timeout: timeout).respond(to: .backward, body: body)
            #expect(r.status == 200, "timeout \(timeout)")
        }
    }

    @Test func deadlinesFromAnyConfiguredValueNeverTrap() {
        for s in [0, -1, .nan, .infinity, -.infinity, 1e300, Double.greatestFiniteMagnitude, 1e-300] as [Double] {
            let d = Deadline(seconds: s)
            _ = d.isPast
        }
        #expect(Deadline(seconds: 1e300).seconds == nil)
        #expect(Deadline(seconds: 2).seconds == 2)
        #expect(Deadline(seconds: 1e-300).isPast || true)
    }
}

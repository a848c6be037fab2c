import Testing

@testable import AutogradGraph

/// The `type` URIs of problems (issue 14): stable strings clients switch on.
@Suite struct ProblemTypeTests {
    /// The URIs are part of the API: the spec and docs/wire-format.md list these strings.
    @Test func urisAreStable() {
        #expect(ProblemType.invalidGraph.uri == "https://swiftautograd.dev/problems/invalid-graph")
        #expect(ProblemType.malformedRequest.uri == "https://swiftautograd.dev/problems/malformed-request")
        #expect(ProblemType.overloaded.uri == "https://swiftautograd.dev/problems/overloaded")
        #expect(Set(ProblemType.allCases.map(\.uri)).count == ProblemType.allCases.count)
    }

    @Test func statusGivesTheDefaultKind() {
        #expect(Problem(status: 422, title: "Unprocessable Content", detail: "x").type == ProblemType.invalidGraph.uri)
        #expect(Problem(status: 400, title: "Bad Request", detail: "x").type == ProblemType.malformedRequest.uri)
        #expect(Problem(status: 503, title: "Service Unavailable", detail: "x").type == ProblemType.overloaded.uri)
        #expect(Problem(status: 503, title: "Service Unavailable", detail: "x", kind: .shuttingDown).type
            == "https://swiftautograd.dev/problems/shutting-down")
        #expect(Problem(status: 418, title: "I'm a teapot", detail: "x").type == "about:blank")
    }

    @Test func bodyProblemsCarryTheirKind() throws {
        let notJSON = GraphService().respond(to: .backward, body: Array(#"{"tensors": "#.utf8))
        #expect(notJSON.status == 400)
        #expect(try JSONParser.parse(notJSON.body)["type"]?.stringValue == ProblemType.malformedRequest.uri)
        let unknownOp = GraphService().respond(
            to: .forward, body: Array(#"{"tensors": {}, "ops": [{"id": "y", "op": "nope", "inputs": []}]}"#.utf8))
        #expect(unknownOp.status == 422)
        #expect(try JSONParser.parse(unknownOp.body)["type"]?.stringValue == ProblemType.invalidGraph.uri)
    }

    @Test func aStoppedComputationIsAComputationTimeout() {
        let deadline = Deadline(seconds: 1)
        #expect(deadline.problem("in the forward pass").type == ProblemType.computationTimeout.uri)
        #expect(deadline.problem("x").status == 503)
    }
}

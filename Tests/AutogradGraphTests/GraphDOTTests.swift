@testable import AutogradGraph
import Foundation
import Testing

/// `POST /graph` (DOT) and the request `id`, at the graph service.
@Suite struct GraphDOTTests {
    private func seed() throws -> [UInt8] {
        try FixturePaths.bytes(FixturePaths.examples.appendingPathComponent("seed-linear-mse.json"))
    }

    private func dot(_ body: [UInt8]) -> (Response, String) {
        let r = GraphService().respond(to: .graph, body: body)
        return (r, String(decoding: r.body, as: UTF8.self))
    }

    @Test func theSeedExampleAsDOT() throws {
        let (r, text) = dot(try seed())
        #expect(r.status == 200)
        #expect(r.contentType == "text/vnd.graphviz")
        #expect(text.hasPrefix("digraph autograd {"))
        // Each tensor with dtype and shape, W and b with their gradient norms:
        // |dL/dW| = |[[1.6, 3], [2.2, 4.2]]| = 5.834, |dL/db| = |[0.6, 1.2]| = 1.342.
        #expect(text.contains(#"label="x\nfloat32 [2, 2]"]"#))
        #expect(text.contains(#"label="W\nfloat32 [2, 2]\nrequires_grad\n‖grad‖ = 5.834"]"#))
        #expect(text.contains(#"label="b\nfloat32 [2]\nrequires_grad\n‖grad‖ = 1.342"]"#))
        // Each op with its op name and shape; the scalar loss with its value, double-bordered.
        #expect(text.contains(#"label="y\nlinear\n[2, 2]"]"#))
        #expect(text.contains(#"peripheries=2, label="loss\nmse_loss\n[]\n= 1.16"]"#))
        // Edges from inputs to ops, labelled with the op's input names.
        #expect(text.contains(#"t1 -> o0 [label="W"];"#))
        #expect(text.contains(#"o0 -> o1 [label="input"];"#))
        #expect(r.graphSize == GraphSize(ops: 2, elements: 4 + 4 + 2 + 4 + 4 + 1))
        // Same request, same bytes.
        #expect(dot(try seed()).0.body == r.body)
    }

    @Test func withoutALossThereAreNoGradients() {
        let (r, text) = dot(Array(#"{"tensors": {"a": {"data": [1, 2], "requires_grad": true}}, "ops": [{"id": "e", "op": "exp", "inputs": ["a"]}]}"#.utf8))
        #expect(r.status == 200)
        #expect(!text.contains("‖grad‖"))
        #expect(text.contains(#"label="e\nexp\n[2]"]"#))
    }

    @Test func namesAreEscapedAndCut() {
        let name = #"q\"uo\\N\te"# + String(repeating: "x", count: 60)  // JSON for q"uo\N<tab>exxx...
        let body = #"{"tensors": {"\#(name)": {"data": 1}}, "ops": [{"id": "n", "op": "neg", "inputs": ["\#(name)"]}]}"#
        let (r, text) = dot(Array(body.utf8))
        #expect(r.status == 200, "\(text)")
        // The quote and backslashes are escaped; the tab is shown as U+FFFD; cut at 48 characters.
        #expect(text.contains(#"label="q\"uo\\N"# + "\u{FFFD}e"))
        #expect(text.contains("…\\nfloat64") || text.contains("…\\nfloat32"))
    }

    @Test func problemsAreTheSameAsForBackward() {
        let body = Array(#"{"tensors": {}, "ops": [{"id": "y", "op": "nope", "inputs": []}]}"#.utf8)
        let graph = GraphService().respond(to: .graph, body: body)
        let backward = GraphService().respond(to: .backward, body: body)
        #expect(graph.status == 422)
        #expect(graph.body == backward.body)
        #expect(graph.contentType == "application/problem+json")
    }

    @Test(arguments: [
        (4.949747, "4.95"), (5.834, "5.834"), (1.0, "1"), (0.0, "0"), (-2.5, "-2.5"), (1234.5678, "1235"),
        (0.00012346, "0.0001235"), (1.5e-7, "1.5e-07"), (12_345_678.0, "1.235e+07"), (9.99951, "10"),
        (Double.nan, "nan"), (-Double.infinity, "-inf"), (123_456.0, "123500"),
    ])
    func shortNumbers(_ value: Double, _ text: String) {
        #expect(GraphDOTFormat.short(value) == text)
    }

    /// Every DOT the service writes is read by Graphviz itself (installed by `make test`).
    @Test func graphvizReadsIt() throws {
        let dot = ["/usr/bin/dot", "/usr/local/bin/dot"].first { FileManager.default.isExecutableFile(atPath: $0) }
        try #require(dot != nil, "Graphviz's dot is not installed (make test-deps installs it)")
        let name = #"we\"ird \\ näme"#
        for body in [try seed(), Array(#"{"tensors": {"\#(name)": {"data": [1, 2], "requires_grad": true}}, "ops": [{"id": "s", "op": "sum", "inputs": ["\#(name)"]}], "loss": "s"}"#.utf8)] {
            let (r, text) = self.dot(body)
            #expect(r.status == 200)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: dot!)
            process.arguments = ["-Tsvg", "-o", "/dev/null"]
            let input = Pipe()
            process.standardInput = input
            try process.run()
            input.fileHandleForWriting.write(Data(text.utf8))
            try input.fileHandleForWriting.close()
            process.waitUntilExit()
            #expect(process.terminationStatus == 0, "dot rejected:\n\(text)")
        }
    }
}

/// The optional request `id`: echoed first in the body and as `X-Request-Id`.
@Suite struct RequestIDTests {
    private func request(id: String) -> [UInt8] {
        Array(#"{"id": "\#(id)", "tensors": {"a": {"data": [1, 2], "requires_grad": true}}, "ops": [{"id": "s", "op": "sum", "inputs": ["a"]}], "loss": "s"}"#.utf8)
    }

    @Test(arguments: [Endpoint.backward, .forward, .graph])
    func echoed(_ endpoint: Endpoint) {
        let r = GraphService().respond(to: endpoint, body: request(id: "job-7/a:b"))
        #expect(r.status == 200)
        #expect(r.headers.first { $0.name == "X-Request-Id" }?.value == "job-7/a:b")
        if endpoint != .graph {
            #expect(String(decoding: r.body, as: UTF8.self).hasPrefix(#"{"id":"job-7/a:b","dtype":"#))
        }
    }

    @Test func echoedByTrainAndInProblems() {
        let train = Array(#"{"id": "t1", "tensors": {"w": {"data": [1.0], "requires_grad": true}}, "ops": [{"id": "s", "op": "sum", "inputs": ["w"]}], "loss": "s", "optimizer": {"name": "sgd", "lr": 0.5}, "steps": 1}"#.utf8)
        let r = GraphService().respond(to: .train, body: train)
        #expect(String(decoding: r.body, as: UTF8.self).hasPrefix(#"{"id":"t1","dtype":"float32","losses":[1.0]"#))
        let bad = GraphService().respond(to: .backward, body: Array(#"{"id": "p9", "tensors": {}, "ops": [{"id": "y", "op": "nope", "inputs": []}]}"#.utf8))
        #expect(bad.status == 422)
        #expect(String(decoding: bad.body, as: UTF8.self).hasPrefix(#"{"id":"p9","type":"https://swiftautograd.dev/problems/invalid-graph""#))
    }

    @Test func invalidIDsAreProblems() throws {
        for (id, status) in [("has space", 422), (String(repeating: "a", count: 129), 422), ("", 422)] {
            let r = GraphService().respond(to: .backward, body: request(id: id))
            #expect(r.status == status)
            #expect(String(decoding: r.body, as: UTF8.self).contains(#""pointer":"/id""#))
            #expect(!r.headers.contains { $0.name == "X-Request-Id" })
        }
        let number = GraphService().respond(to: .backward, body: Array(#"{"id": 7, "tensors": {}, "ops": []}"#.utf8))
        #expect(number.status == 400)
        #expect(GraphRequestID.isValid(String(repeating: "a", count: 128)))
    }
}

import AutogradGraph
import Foundation
import Testing

/// Replaying a committed example of api/examples against the real binary: the shared
/// steps of the example suites (CNN, transformer block, ONNX).
enum ExampleReplay {
    /// POSTs the example file `file` to `path` on `server`, expects 200 and answers the
    /// parsed body.
    static func post(_ file: String, to path: String, on server: ServerProcess, timeoutSeconds: Int = 5) throws -> JSONValue {
        let response = try HTTP.postJSON(port: server.port, path: path, body: try LiveGraphTests.file(file), timeoutSeconds: timeoutSeconds)
        #expect(response.status == 200, "\(file) -> \(path): \(response.bodyText.prefix(300))")
        return try JSONParser.parse(response.body)
    }

    /// Checks `actual` against the committed answer `expectedFile` (PyTorch's): the loss to
    /// `rtol`, and every gradient the expected answer holds, by shape and by value to
    /// |got - want| <= atol + rtol |want|. Answers the expected gradients' names.
    @discardableResult
    static func expectLossAndGradients(_ actual: JSONValue, equal expectedFile: String, rtol: Double, atol: Double) throws -> [String] {
        let expected = try JSONParser.parse(try LiveGraphTests.file(expectedFile))
        let loss = LiveGraphTests.numbers(actual["outputs"]?["loss"]?["data"])
        let torchLoss = LiveGraphTests.numbers(expected["outputs"]?["loss"]?["data"])
        #expect(loss.count == 1 && torchLoss.count == 1)
        #expect(abs((loss.first ?? 0) - (torchLoss.first ?? 1)) <= atol + rtol * abs(torchLoss.first ?? 1), "loss \(loss) vs \(torchLoss)")
        guard case .object(let grads)? = expected["gradients"] else {
            Issue.record("\(expectedFile) has no gradients")
            return []
        }
        for (name, value) in grads.members {
            let want = LiveGraphTests.numbers(value["data"])
            let got = LiveGraphTests.numbers(actual["gradients"]?[name]?["data"])
            #expect(got.count == want.count && !want.isEmpty, "\(name)")
            #expect(actual["gradients"]?[name]?["shape"] == value["shape"], "\(name) shape")
            #expect(want.contains { $0 != 0 }, "\(name): PyTorch's gradient is not all zero")
            for (g, w) in zip(got, want) where abs(g - w) > atol + rtol * abs(w) {
                Issue.record("\(name): \(g) differs from PyTorch's \(w)")
                break
            }
        }
        return grads.members.map(\.key)
    }
}

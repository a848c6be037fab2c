import AutogradGraph
import Foundation
import Testing

/// api/examples/transformer-block.json over real HTTP: a pre-LN transformer block
/// (embedding, layer_norm, causal attention, GELU MLP, next-token cross_entropy) whose loss
/// and every parameter gradient equal PyTorch's (Tests/Fixtures/make_transformer_example.py
/// wrote the expected answer), in float64.
@Suite("transformer block example over HTTP", .timeLimit(.minutes(2)))
struct TransformerExampleTests {
    @Test func lossAndGradientsEqualPyTorchs() throws {
        let server = try ServerProcess()
        let response = try HTTP.postJSON(
            port: server.port, path: "/backward", body: try LiveGraphTests.file("api/examples/transformer-block.json"))
        #expect(response.status == 200, "\(response.bodyText.prefix(300))")
        let actual = try JSONParser.parse(response.body)
        let expected = try JSONParser.parse(try LiveGraphTests.file("api/examples/transformer-block.response.json"))
        let loss = LiveGraphTests.numbers(actual["outputs"]?["loss"]?["data"])
        let torchLoss = LiveGraphTests.numbers(expected["outputs"]?["loss"]?["data"])
        #expect(loss.count == 1 && torchLoss.count == 1)
        #expect(abs((loss.first ?? 0) - (torchLoss.first ?? 1)) <= 1e-10 * abs(torchLoss.first ?? 1))
        guard case .object(let grads)? = expected["gradients"] else {
            Issue.record("the expected answer has no gradients")
            return
        }
        #expect(grads.members.count == 19)
        for (name, value) in grads.members {
            let want = LiveGraphTests.numbers(value["data"])
            let got = LiveGraphTests.numbers(actual["gradients"]?[name]?["data"])
            #expect(got.count == want.count && !want.isEmpty, "\(name)")
            #expect(actual["gradients"]?[name]?["shape"] == value["shape"], "\(name) shape")
            // float64: torch's tolerance for the fixtures, rtol 1e-10 and atol 1e-12.
            for (g, w) in zip(got, want) where abs(g - w) > 1e-12 + 1e-10 * abs(w) {
                Issue.record("\(name): \(g) differs from PyTorch's \(w)")
                break
            }
        }
    }
}

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
        let actual = try ExampleReplay.post("api/examples/transformer-block.json", to: "/backward", on: server)
        // float64: torch's tolerance for the fixtures, rtol 1e-10 and atol 1e-12.
        let names = try ExampleReplay.expectLossAndGradients(
            actual, equal: "api/examples/transformer-block.response.json", rtol: 1e-10, atol: 1e-12)
        #expect(names.count == 19)
    }
}

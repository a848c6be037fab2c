import AutogradGraph
import Foundation
import Testing

/// api/examples/cnn-train.json over real HTTP: a LeNet-style CNN (conv2d, relu,
/// max_pool2d twice, linear, cross_entropy) from server-made weights learns horizontal
/// versus vertical stripes through POST /train, and the trained network classifies both
/// its training images and fresh ones this test draws itself.
@Suite("CNN example over HTTP", .timeLimit(.minutes(2)))
struct CNNExampleTests {
    /// Stripes as make_cnn_example.py draws them (period 2-4, random phase and contrast,
    /// noise 0.3), from this test's own generator: images the network never saw.
    static func freshImages(count: Int, seed: UInt64) -> (pixels: [Double], labels: [Double]) {
        var state = seed
        func next() -> Double {  // SplitMix64, uniform in [0, 1)
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return Double((z ^ (z >> 31)) >> 11) / Double(1 << 53)
        }
        func normal() -> Double { (-2 * Foundation.log(1 - next())).squareRoot() * Foundation.cos(2 * Double.pi * next()) }
        var pixels: [Double] = [], labels: [Double] = []
        for i in 0..<count {
            let label = i % 2, period = Double(2 + Int(next() * 3)), phase = 2 * Double.pi * next()
            let contrast = 0.6 + 0.6 * next()
            for r in 0..<12 {
                for c in 0..<12 {
                    let t = Double(label == 0 ? r : c)
                    pixels.append(contrast * Foundation.sin(2 * Double.pi * t / period + phase) + 0.3 * normal())
                }
            }
            labels.append(Double(label))
        }
        return (pixels, labels)
    }

    /// The share of `labels` that the trained network's logits over `x` get right.
    static func accuracy(port: Int, request: JSONObject, parameters: JSONObject, x: JSONValue, labels: [Double]) throws -> Double {
        guard case .object(let tensors)? = request["tensors"], case .array(let ops)? = request["ops"] else { return 0 }
        // The network without its loss: the logits are the output.
        var members = tensors.members.filter { parameters[$0.key] == nil && $0.key != "x" && $0.key != "labels" }
        members += parameters.members
        members.append((key: "x", value: x))
        let body: JSONValue = [
            "dtype": "float32", "tensors": .object(JSONObject(members)), "ops": .array(ops.filter { $0["id"]?.stringValue != "loss" }), "outputs": ["logits"],
        ]
        let forward = try HTTP.postJSON(port: port, path: "/forward", body: JSONWriter.encode(body), timeoutSeconds: 30)
        #expect(forward.status == 200, "\(forward.bodyText.prefix(300))")
        let logits = LiveGraphTests.numbers(try JSONParser.parse(forward.body)["outputs"]?["logits"]?["data"])
        guard logits.count == 2 * labels.count else { return 0 }
        let correct = labels.indices.filter { i in (logits[2 * i + 1] > logits[2 * i] ? 1.0 : 0.0) == labels[i] }.count
        return Double(correct) / Double(labels.count)
    }

    @Test func aCNNTrainedThroughTrainClassifiesStripes() throws {
        let server = try ServerProcess()
        let body = try LiveGraphTests.file("api/examples/cnn-train.json")
        let result = try ExampleReplay.post("api/examples/cnn-train.json", to: "/train", on: server, timeoutSeconds: 90)
        let losses = LiveGraphTests.numbers(result["losses"])
        #expect(losses.count == 60)
        #expect((losses.first ?? 0) > 0.5)  // chance level for two classes is ln 2
        #expect((losses.last ?? 1) < 0.01)

        guard case .object(let request)? = try? JSONParser.parse(body), case .object(let parameters)? = result["parameters"],
            let x = request["tensors"]?["x"]
        else {
            Issue.record("unexpected shapes of request or response")
            return
        }
        #expect(parameters.members.map(\.key) == ["conv1_w", "conv1_b", "conv2_w", "conv2_b", "fc_w", "fc_b"])
        let labels = LiveGraphTests.numbers(request["tensors"]?["labels"]?["data"])
        #expect(try Self.accuracy(port: server.port, request: request, parameters: parameters, x: x, labels: labels) == 1)

        let fresh = Self.freshImages(count: 100, seed: 2026)
        let freshX: JSONValue = [
            "shape": [100, 1, 12, 12], "data": .array(fresh.pixels.map { .number(JSONNumber(value: $0, isIntegerLiteral: false)) }),
        ]
        #expect(try Self.accuracy(port: server.port, request: request, parameters: parameters, x: freshX, labels: fresh.labels) >= 0.9)
    }
}

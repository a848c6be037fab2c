// Sends the README request (api/examples/seed-linear-mse.json), three SGD steps of it, a
// graph with an undefined input, and the spec's /jvp and /hvp examples (and an unknown
// vector), with the client swift-openapi-generator made from api/openapi.yaml; checks the
// answers' numbers. `readme-request URL`; exit status 1 on
// any difference.
import AutogradAPIClient
import Foundation
import OpenAPIRuntime
import OpenAPIURLSession

typealias Schemas = Components.Schemas

func number(_ x: Double) -> Schemas.Number { .case1(x) }
func vector(_ v: [Double]) -> Schemas.TensorData { .init(value2: v.map(number)) }
func matrix(_ m: [[Double]]) -> Schemas.TensorData { .init(value3: m.map { $0.map(number) }) }
func tensor(_ data: Schemas.TensorData, requiresGrad: Bool? = nil) -> Schemas.Tensor {
    .TensorValues(.init(data: data, requires_grad: requiresGrad))
}

/// The README graph: y = xW + b, loss = MSE(y, ones).
let readme = Schemas.BackwardRequest(
    dtype: .float32,
    tensors: .init(additionalProperties: [
        "x": tensor(matrix([[1, 2], [3, 4]])),
        "W": tensor(matrix([[0.1, 0.2], [0.3, 0.4]]), requiresGrad: true),
        "b": tensor(vector([0.5, 0.6]), requiresGrad: true),
        "y_true": tensor(matrix([[1, 1], [1, 1]])),
    ]),
    ops: [
        .init(id: "y", op: .linear, inputs: ["x", "W", "b"]),
        .init(id: "loss", op: .mse_loss, inputs: ["y", "y_true"]),
    ],
    loss: "loss"
)

var failures = 0
func expect<T: Equatable>(_ got: T?, _ want: T, _ what: String) {
    if got == want {
        print("ok  \(what)")
    } else {
        print("FAIL \(what): got \(got.map { "\($0)" } ?? "nil"), expected \(want)")
        failures += 1
    }
}

func run(_ url: URL) async throws {
    let client = Client(serverURL: url, transport: URLSessionTransport())

    let answer = try await client.backward(body: .json(readme)).ok.body.json
    expect(answer.dtype, .float32, "dtype")
    // The README's numbers, as the server writes them (the shortest float32 decimals).
    expect(answer.outputs.additionalProperties["loss"]?.data?.value1, number(1.1600002), "loss = 1.1600002")
    expect(answer.outputs.additionalProperties["loss"]?.shape, [], "loss shape []")
    let w = answer.gradients.additionalProperties["W"]
    expect(w?.data?.value3, [[1.6, 3.0000002], [2.2, 4.2000003]].map { $0.map(number) }, "dL/dW")
    expect(w?.shape, [2, 2], "dL/dW shape")
    expect(answer.gradients.additionalProperties["b"]?.data?.value2, [0.6, 1.2].map(number), "dL/db")

    let steps = Schemas.TrainRequest(
        dtype: .float32, tensors: readme.tensors, ops: readme.ops, loss: "loss",
        optimizer: .sgd(.init(name: .sgd, lr: 0.05)), steps: 3)
    let trained = try await client.train(body: .json(steps)).ok.body.json
    expect(trained.losses, [1.1600002, 0.07609995, 0.028057251].map(number), "/train losses")
    expect(trained.parameters.additionalProperties["b"]?.data?.value2, [0.467425, 0.52935].map(number), "/train b")

    var bad = readme
    bad.ops = [.init(id: "y", op: .matmul, inputs: ["x", "Q"])]
    bad.loss = nil
    let problem = try await client.backward(body: .json(bad)).unprocessableContent.body.application_problem_plus_json
    expect(problem.status, 422, "422 status")
    expect(problem._type, "https://swiftautograd.dev/problems/invalid-graph", "422 type")
    expect(problem.errors?.map(\.pointer), ["/ops/0/inputs/1"], "422 pointer")

    // /jvp, the spec's `cubic` example: y = w·x², s = Σy, tangent 1 for x: J·t = 2·w·x.
    let direction = { (v: [Double]) in Schemas.SeedTensor(data: vector(v)) }
    let cubic = Schemas.JVPRequest(
        dtype: .float64,
        tensors: .init(additionalProperties: ["x": tensor(vector([1, 2, 3])), "w": tensor(vector([0.5, -1, 2]))]),
        ops: [
            .init(id: "p", op: .mul, inputs: ["x", "w"]),
            .init(id: "y", op: .mul, inputs: ["p", "x"]),
            .init(id: "s", op: .sum, inputs: ["y"]),
        ],
        outputs: ["y", "s"],
        tangents: .init(additionalProperties: ["x": direction([1, 1, 1])]))
    let jvp = try await client.jvp(body: .json(cubic)).ok.body.json
    expect(jvp.outputs.additionalProperties["y"]?.data?.value2, [0.5, -4, 18].map(number), "/jvp y = w·x²")
    expect(jvp.tangents.additionalProperties["y"]?.data?.value2, [1, -4, 12].map(number), "/jvp tangent of y (2·w·x)")
    expect(jvp.tangents.additionalProperties["s"]?.data?.value1, number(9), "/jvp tangent of s")

    // /hvp, the spec's `two-tensors` example: loss = Σ x²·y, H over x and y, v = (e₁, e₂).
    let twoTensors = Schemas.HVPRequest(
        dtype: .float64,
        tensors: .init(additionalProperties: [
            "x": tensor(vector([1, 2]), requiresGrad: true), "y": tensor(vector([3, 4]), requiresGrad: true),
        ]),
        ops: [
            .init(id: "xx", op: .mul, inputs: ["x", "x"]),
            .init(id: "xxy", op: .mul, inputs: ["xx", "y"]),
            .init(id: "loss", op: .sum, inputs: ["xxy"]),
        ],
        loss: "loss",
        vectors: .init(additionalProperties: ["x": direction([1, 0]), "y": direction([0, 1])]))
    let hvp = try await client.hvp(body: .json(twoTensors)).ok.body.json
    expect(hvp.outputs.additionalProperties["loss"]?.data?.value1, number(19), "/hvp loss")
    expect(hvp.gradients.additionalProperties["x"]?.data?.value2, [6, 16].map(number), "/hvp gradient of x (2xy)")
    expect(hvp.hvp.additionalProperties["x"]?.data?.value2, [6, 4].map(number), "/hvp block of x")
    expect(hvp.hvp.additionalProperties["y"]?.data?.value2, [2, 0].map(number), "/hvp block of y")

    var unknown = twoTensors
    unknown.vectors.additionalProperties["z"] = direction([1, 1])
    let hvpProblem = try await client.hvp(body: .json(unknown)).unprocessableContent.body.application_problem_plus_json
    expect(hvpProblem.status, 422, "/hvp 422 status")
    expect(hvpProblem.errors?.map(\.pointer), ["/vectors/z"], "/hvp 422 pointer")
}

guard CommandLine.arguments.count == 2, let url = URL(string: CommandLine.arguments[1]) else {
    print("usage: readme-request URL")
    exit(2)
}
do {
    try await run(url)
} catch {
    print("FAIL \(error)")
    exit(1)
}
exit(failures == 0 ? 0 : 1)

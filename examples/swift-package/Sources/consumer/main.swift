// The README's library example ("The Swift library"), then a two-layer network trained on
// XOR, evaluated under noGrad, saved as safetensors and loaded into a fresh model.
// `make test-consumer` compares each `// value` comment below with the printed line, and
// loads the two files written into the directory given as the first argument with Python's
// safetensors package to check their values.
import Autograd

let x = Tensor<Float>([[1, 2], [3, 4]])
let layer = Linear(W: Tensor<Float>([[0.1, 0.2], [0.3, 0.4]]), b: Tensor<Float>([0.5, 0.6]))
let loss = mseLoss(layer(x), Tensor(NDArray(repeating: 1, shape: [2, 2])))
try loss.backward()
print(loss.value)       // 1.1600002
print(layer.W.grad!)    // [[1.6, 3.0000002], [2.2, 4.2000003]]
print(layer.b!.grad!)   // [0.6, 1.2]

// XOR: four points no line separates; two linear layers with a ReLU between them.
let points = Tensor<Float>([[1, 1], [-1, -1], [1, -1], [-1, 1]])
let labels = Tensor<Float>([0, 0, 1, 1])
let model = Sequential<Float>(Linear(inFeatures: 2, outFeatures: 16, seed: 1), ReLU(),
                              Linear(inFeatures: 16, outFeatures: 2, seed: 2))
let optimizer = Adam(model.parameters, lr: 0.05)
var first: Float = 0, last: Float = 0
for step in 0..<200 {
    optimizer.zeroGrad()
    let loss = crossEntropy(model(points), labels)
    try loss.backward()
    optimizer.step()
    if step == 0 { first = loss.scalars[0] }
    last = loss.scalars[0]
}
// Evaluation records no graph.
let evaluation = noGrad { model(points) }
let logits = evaluation.scalars
let predicted = (0..<4).map { logits[2 * $0 + 1] > logits[2 * $0] ? 1 : 0 }
print(predicted)                                       // [0, 0, 1, 1]
print(last < first / 100 ? "trained" : "not trained")  // trained
print(evaluation.op == nil && !evaluation.requiresGrad ? "no graph under noGrad" : "recorded")  // no graph under noGrad

// Save, load into a fresh model (other initial weights), predict the same.
let directory = CommandLine.arguments.count > 1 ? CommandLine.arguments[1] : "."
try model.stateDict().write(toFile: directory + "/xor.safetensors")
let fresh = Sequential<Float>(Linear(inFeatures: 2, outFeatures: 16, seed: 7), ReLU(),
                              Linear(inFeatures: 16, outFeatures: 2, seed: 8))
try fresh.load(StateDict(contentsOfFile: directory + "/xor.safetensors"))
let reloaded = noGrad { fresh(points) }
precondition(reloaded.value == evaluation.value, "the reloaded model predicts differently")
print(fresh.stateDict().names)                         // ["0.W", "0.b", "2.W", "2.b"]
print(reloaded.value == evaluation.value ? "reloaded model predicts the same" : "differs")  // reloaded model predicts the same
// The inputs and predictions, for the Python check of the file.
try StateDict<Float>([("x", points.value), ("logits", evaluation.value)]).write(toFile: directory + "/xor-eval.safetensors")

// The README's library example ("The Swift library"), then a two-layer network trained on
// XOR. `make test-consumer` compares each `// value` comment below with the printed line.
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
let logits = model(points).scalars
let predicted = (0..<4).map { logits[2 * $0 + 1] > logits[2 * $0] ? 1 : 0 }
print(predicted)                                       // [0, 0, 1, 1]
print(last < first / 100 ? "trained" : "not trained")  // trained

import Autograd
import Testing

/// PyTorch's gradcheck, in float64 with central differences: for a random upstream
/// gradient `v`, the engine's vector-Jacobian product `vᵀJ` must match
/// `vᵀ (f(x + εeᵢ) − f(x − εeᵢ)) / 2ε` for every input element `i`.
///
/// Tolerances are torch.autograd.gradcheck's defaults: ε = 1e-6, atol = 1e-5, rtol = 1e-3.
func gradcheck(
    _ op: any Operator, _ inputs: [NDArray<Double>], differentiable: [Bool]? = nil, seed: UInt64 = 99,
    eps: Double = 1e-6, atol: Double = 1e-5, rtol: Double = 1e-3,
    sourceLocation: SourceLocation = #_sourceLocation
) throws {
    let needs = differentiable ?? inputs.map { _ in true }
    let leaves = inputs.enumerated().map { Tensor($1, requiresGrad: needs[$0]) }
    let y = try Tensor.apply(op, leaves)
    let v = randomArray(y.shape, in: -1...1, seed: seed)
    try y.backward(seed: v)

    func f(_ xs: [NDArray<Double>]) -> NDArray<Double> { op.forward(xs) }
    func dot(_ a: NDArray<Double>, _ b: NDArray<Double>) -> Double {
        zip(a.data, b.data).reduce(0) { $0 + $1.0 * $1.1 }
    }

    let name = type(of: op).signature.name
    for k in inputs.indices where needs[k] {
        var numeric = [Double](repeating: 0, count: inputs[k].count)
        for i in 0..<inputs[k].count {
            var plus = inputs, minus = inputs
            plus[k].data[i] += eps
            minus[k].data[i] -= eps
            numeric[i] = (dot(f(plus), v) - dot(f(minus), v)) / (2 * eps)
        }
        expectClose(
            leaves[k].gradOrZeros, NDArray(shape: inputs[k].shape, data: numeric), rtol: rtol, atol: atol,
            "\(name) input \(k) gradient", sourceLocation: sourceLocation)
    }
}

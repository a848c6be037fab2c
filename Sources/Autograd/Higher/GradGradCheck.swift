// `torch.autograd.gradgradcheck`: the create-graph backward pass against central finite
// differences of the first-order one, in float64.

/// Checks second derivatives of `f` at `inputs`, as `torch.autograd.gradgradcheck`: the
/// vector-Jacobian product `vᵀJ(x)` (for a random `v` from `seed`) is computed with
/// ``grad(of:wrt:seed:createGraph:)`` as a recorded function of the inputs and of `v`,
/// and ``gradcheck(_:inputs:differentiable:eps:atol:rtol:seed:)`` then checks its gradient
/// with respect to every differentiable input and to `v` against central differences.
/// The defaults are torch's.
///
/// ```swift
/// let x = NDArray<Double>(shape: [3], data: [0.5, -1, 2])
/// let result = try gradgradcheck({ tanh($0[0] * $0[0]) }, inputs: [x])
/// print(result.checkedElements)   // 6
/// ```
///
/// (Six elements: x's three and the upstream gradient's three.) Throws a ``GradcheckError``
/// (input `inputs.count` is `v`) naming the worst element,
/// ``AutogradError/notTwiceDifferentiable(function:)`` for an op without a differentiable
/// vector-Jacobian product, and whatever `f` throws.
@discardableResult
public func gradgradcheck(
    _ f: ([Tensor<Double>]) throws -> Tensor<Double>, inputs: [NDArray<Double>], differentiable: [Bool]? = nil,
    eps: Double = 1e-6, atol: Double = 1e-5, rtol: Double = 1e-3, seed: UInt64 = 99
) throws -> GradcheckResult {
    let needs = differentiable ?? inputs.map { _ in true }
    let n = inputs.count
    let outShape = try f(inputs.map { Tensor($0) }).shape
    var generator = SplitMix64(seed: seed ^ 0x9E37_79B9_7F4A_7C15)
    func random(_ shape: [Int]) -> NDArray<Double> {
        NDArray(shape: shape, data: (0..<(Shape.count(shape) ?? 0)).map { _ in Double.random(in: -1...1, using: &generator) })
    }
    let v = random(outShape)
    let w = inputs.map { random($0.shape) }
    let wrt = inputs.indices.filter { needs[$0] }

    // ⟨vᵀJ(x), w⟩ as a recorded function of x and v.
    func projectedVJP(_ leaves: [Tensor<Double>]) throws -> Tensor<Double> {
        let xs = Array(leaves[0..<n])
        for k in wrt { xs[k].requiresGrad = true }
        let y = try f(xs)
        let gs = try grad(of: y, wrt: wrt.map { xs[$0] }, seed: leaves[n], createGraph: true)
        var total: Tensor<Double>?
        for (j, k) in wrt.enumerated() {
            let term = try Tensor.apply(Sum(), [try Tensor.apply(Mul(), [gs[j], Tensor(w[k])])])
            total = try total.map { (a) throws(OpError) in try Tensor.apply(Add(), [a, term]) } ?? term
        }
        return total ?? Tensor(NDArray(scalar: 0))
    }
    return try gradcheck(
        projectedVJP, inputs: inputs + [v], differentiable: needs + [true], eps: eps, atol: atol, rtol: rtol,
        seed: seed)
}

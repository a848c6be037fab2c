// `torch.autograd.gradcheck` for any composition of ops: the engine's gradients against
// central finite differences, in float64. (A `gradgradcheck` would differentiate the
// backward pass the same way, once vector-Jacobian products are themselves recorded.)

/// How far the engine's gradients were from the finite differences, when every element
/// was within tolerance.
public struct GradcheckResult: Sendable, Equatable {
    /// The largest `|analytical - numerical|` over every checked element.
    public let maxAbsoluteError: Double
    /// How many input elements were checked.
    public let checkedElements: Int
}

/// The worst element of a failed `gradcheck`: the one furthest outside
/// `atol + rtol * |numerical|`.
public struct GradcheckError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Which input (of `inputs`) the element belongs to.
    public let input: Int
    /// The element's row-major index in that input.
    public let element: Int
    /// The engine's gradient at that element.
    public let analytical: Double
    /// The central-difference estimate at that element.
    public let numerical: Double
    /// The message, in the manner of PyTorch's `Jacobian mismatch`.
    public var description: String {
        "Jacobian mismatch for output 0 with respect to input \(input), element \(element): "
            + "analytical \(analytical), numerical \(numerical), difference \(abs(analytical - numerical))"
    }
}

/// Checks the gradients of `f` at `inputs` against central finite differences in float64,
/// as `torch.autograd.gradcheck`: for a random upstream gradient `v` (from `seed`), the
/// engine's `vᵀJ` must match `vᵀ (f(x + εeᵢ) − f(x − εeᵢ)) / 2ε` within
/// `atol + rtol * |numerical|` at every element `i` of every input marked `differentiable`
/// (all by default). The defaults are torch's: ε = 1e-6, atol = 1e-5, rtol = 1e-3.
///
/// ```swift
/// let x = NDArray<Double>(shape: [3], data: [0.5, -1, 2])
/// let result = try gradcheck({ tanh($0[0] * $0[0]).sum() }, inputs: [x])
/// print(result.maxAbsoluteError < 1e-8)   // true
/// ```
///
/// Throws a ``GradcheckError`` naming the worst element when a gradient is off, and
/// whatever `f` or `backward()` throws.
@discardableResult
public func gradcheck(
    _ f: ([Tensor<Double>]) throws -> Tensor<Double>, inputs: [NDArray<Double>], differentiable: [Bool]? = nil,
    eps: Double = 1e-6, atol: Double = 1e-5, rtol: Double = 1e-3, seed: UInt64 = 99
) throws -> GradcheckResult {
    let needs = differentiable ?? inputs.map { _ in true }
    let leaves = inputs.indices.map { Tensor(inputs[$0], requiresGrad: needs[$0]) }
    let y = try f(leaves)
    var g = SplitMix64(seed: seed)
    let v = NDArray(shape: y.shape, data: (0..<y.count).map { _ in Double.random(in: -1...1, using: &g) })
    if y.requiresGrad { try y.backward(seed: v) }

    // ⟨f(xs), v⟩, with nothing recorded (no leaf requires a gradient).
    func projected(_ xs: [NDArray<Double>]) throws -> Double {
        let out = try f(xs.map { Tensor($0) }).value
        return zip(out.data, v.data).reduce(0) { $0 + $1.0 * $1.1 }
    }

    var worst: (excess: Double, error: GradcheckError)?
    var maxError = 0.0, checked = 0
    for k in inputs.indices where needs[k] {
        let analytical = leaves[k].gradOrZeros
        for i in 0..<inputs[k].count {
            var plus = inputs, minus = inputs
            plus[k].data[i] += eps
            minus[k].data[i] -= eps
            let numerical = (try projected(plus) - projected(minus)) / (2 * eps)
            let a = analytical.data[i]
            checked += 1
            if (a.isNaN && numerical.isNaN) || a == numerical { continue }
            let error = abs(a - numerical)
            if !(error <= maxError) { maxError = error }
            let excess = error - (atol + rtol * abs(numerical))
            if !(excess <= 0), worst.map({ !(excess <= $0.excess) }) ?? true {
                worst = (excess.isNaN ? .infinity : excess,
                         GradcheckError(input: k, element: i, analytical: a, numerical: numerical))
            }
        }
    }
    if let worst { throw worst.error }
    return GradcheckResult(maxAbsoluteError: maxError, checkedElements: checked)
}

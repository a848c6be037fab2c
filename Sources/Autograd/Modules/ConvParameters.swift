/// A convolution layer's weight and bias, initialised as PyTorch's `_ConvNd`:
/// `kaiming_uniform(a: √5)`, i.e. uniform in ±1/√fanIn, for the weight, and uniform in
/// ±1/√fanIn for the bias, where fanIn is the product of the weight's dimensions after the
/// first. Drawn from `generator` in that order (weight, then bias), as `Linear` draws.
func convParameters<Scalar: Autograd.Scalar>(
    weightShape: [Int], bias: Bool, biasCount: Int, generator: inout some RandomNumberGenerator
) -> (Tensor<Scalar>, Tensor<Scalar>?) {
    let fanIn = weightShape.dropFirst().reduce(1, *)
    let bound = fanIn > 0 ? 1 / Scalar(fanIn).squareRoot() : 0
    func uniform(_ shape: [Int]) -> Tensor<Scalar> {
        let n = shape.reduce(1, *)
        let t = Tensor(shape: shape, scalars: (0..<n).map { _ in Scalar.random(in: -bound...bound, using: &generator) })
        t.requiresGrad = true
        return t
    }
    let w = uniform(weightShape)
    return (w, bias ? uniform([biasCount]) : nil)
}

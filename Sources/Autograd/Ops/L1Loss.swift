/// Mean absolute error: `reduce(|input − target|)`, PyTorch's `l1_loss`.
public struct L1Loss: ElementwiseLoss {
    public static let signature = lossSignature(
        "l1_loss", "absolute error |input - target|, reduced; operands of the same shape",
        pytorch: "torch.nn.functional.l1_loss(input, target, reduction=reduction)",
        notes: "gradient sign(input - target), 0 where they are equal (torch's sgn)")

    public let reduction: Reduction

    public init(reduction: Reduction = .mean) { self.reduction = reduction }

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func forward<T: Scalar>(_ x: [NDArray<T>]) -> NDArray<T> {
        reduction.apply(x[0].zip(x[1]) { ($0 - $1).magnitude })
    }

    // d/dinput = sign(input − target) · g with sign(0) = 0 (torch's sgn), and its negative
    // for the target.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func vjp<T: Scalar>(
        _ grad: NDArray<T>, inputs x: [NDArray<T>], output: NDArray<T>, needs: [Bool]
    ) -> [NDArray<T>?] {
        let g = reduction.spread(grad, over: x[0].shape)
        let d = x[0].zip(x[1], g) { p, t, g in p > t ? g : (p < t ? -g : 0) }
        return [needs[0] ? d : nil, needs[1] ? d.map { -$0 } : nil]
    }
}

/// Mean squared error: `reduce((input - target)²)`.
public struct MSELoss: ElementwiseLoss {
    public static let signature = lossSignature(
        "mse_loss", "squared error (input - target)², reduced; operands of the same shape",
        pytorch: "torch.nn.functional.mse_loss(input, target, reduction=reduction)")

    public let reduction: Reduction

    public init(reduction: Reduction = .mean) { self.reduction = reduction }

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func forward<T: Scalar>(_ x: [NDArray<T>]) -> NDArray<T> {
        reduction.apply(x[0].zip(x[1]) { ($0 - $1) * ($0 - $1) })
    }

    // d/dinput = 2 (input - target) · g, and its negative for the target.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func vjp<T: Scalar>(
        _ grad: NDArray<T>, inputs x: [NDArray<T>], output: NDArray<T>, needs: [Bool]
    ) -> [NDArray<T>?] {
        let g = reduction.spread(grad, over: x[0].shape)
        let d = x[0].zip(x[1], g) { p, t, g in 2 * (p - t) * g }
        return [needs[0] ? d : nil, needs[1] ? d.map { -$0 } : nil]
    }
}

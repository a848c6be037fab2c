/// The smaller of `a` and `b` elementwise, broadcasting; NaN if either is NaN.
public struct Minimum: Operator {
    public static let signature = OpSignature(
        name: "minimum", arity: .exactly(2), inputs: ["a", "b"],
        summary: "elementwise minimum, NaN-propagating, with NumPy broadcasting",
        pytorch: "torch.minimum(a, b)",
        shapeRule: OpSignature.broadcastShape,
        notes: "ties split the gradient equally between a and b")

    public init() {}
    public init(attributes: Attributes) {}

    public func outputShape(_ inputs: [[Int]]) throws(OpError) -> [Int] { try Shape.broadcastRule(inputs) }

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func forward<T: Scalar>(_ x: [NDArray<T>]) -> NDArray<T> {
        if let y = FusedElementwise.large(.binary(.minimum, 0, 1), x) { return y }
        let shape = Shape.broadcast(x[0].shape, x[1].shape) ?? []
        return NDArray.broadcast(x[0], x[1], to: shape) { a, b in a < b || a.isNaN ? a : b }
    }

    // The gradient goes to the smaller input; a tie splits it, g/2 each, as torch does.
    // Where either is NaN neither comparison holds and both get g, as in torch.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func vjp<T: Scalar>(
        _ grad: NDArray<T>, inputs x: [NDArray<T>], output: NDArray<T>, needs: [Bool]
    ) -> [NDArray<T>?] {
        if let g = FusedElementwise.largeGradient(.binary(.minimum, 0, 1), grad, x, needs: needs) { return g }
        let a = x[0].broadcast(to: grad.shape), b = x[1].broadcast(to: grad.shape)
        return [
            needs[0] ? grad.zip(a, b) { g, a, b in a == b ? g / 2 : a > b ? 0 : g } : nil,
            needs[1] ? grad.zip(a, b) { g, a, b in a == b ? g / 2 : a < b ? 0 : g } : nil,
        ]
    }
}

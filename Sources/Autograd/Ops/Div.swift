/// `a / b` elementwise, broadcasting.
public struct Div: Operator {
    public static let signature = OpSignature(
        name: "div", arity: .exactly(2), inputs: ["a", "b"],
        summary: "a / b elementwise, with NumPy broadcasting",
        pytorch: "torch.div(a, b)", shapeRule: OpSignature.broadcastShape)

    public init() {}
    public init(attributes: Attributes) {}

    public func outputShape(_ inputs: [[Int]]) throws(OpError) -> [Int] { try Shape.broadcastRule(inputs) }

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func forward<T: Scalar>(_ x: [NDArray<T>]) -> NDArray<T> {
        if let y = FusedElementwise.large(.binary(.div, 0, 1), x) { return y }
        let shape = Shape.broadcast(x[0].shape, x[1].shape) ?? []
        return NDArray.broadcast(x[0], x[1], to: shape) { $0 / $1 }
    }

    // da = g / b; db = -g * (a / b) / b, written as PyTorch writes it (the output over b)
    // so that values agree to the last bit where they can.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func vjp<T: Scalar>(
        _ grad: NDArray<T>, inputs x: [NDArray<T>], output: NDArray<T>, needs: [Bool]
    ) -> [NDArray<T>?] {
        if let g = FusedElementwise.largeGradient(.binary(.div, 0, 1), grad, x, needs: needs) { return g }
        let b = needs[0] || needs[1] ? x[1].broadcast(to: grad.shape) : x[1]
        return [
            needs[0] ? grad.zip(b) { $0 / $1 } : nil,
            needs[1] ? grad.zip(output, b) { g, q, d in -g * (q / d) } : nil,
        ]
    }
}

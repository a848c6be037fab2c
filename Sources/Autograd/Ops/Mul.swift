/// `a * b` elementwise, broadcasting.
public struct Mul: Operator {
    public static let signature = OpSignature(
        name: "mul", arity: .exactly(2), inputs: ["a", "b"],
        summary: "a * b elementwise, with NumPy broadcasting",
        pytorch: "torch.mul(a, b)", shapeRule: OpSignature.broadcastShape)

    public init() {}
    public init(attributes: Attributes) {}

    public func outputShape(_ inputs: [[Int]]) throws(OpError) -> [Int] { try Shape.broadcastRule(inputs) }

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func forward<T: Scalar>(_ x: [NDArray<T>]) -> NDArray<T> {
        if let y = FusedElementwise.large(.binary(.mul, 0, 1), x) { return y }
        let shape = Shape.broadcast(x[0].shape, x[1].shape) ?? []
        return NDArray.broadcast(x[0], x[1], to: shape) { $0 * $1 }
    }

    // da = g * b, db = g * a, both in the output's shape until the engine sums them back.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func vjp<T: Scalar>(
        _ grad: NDArray<T>, inputs x: [NDArray<T>], output: NDArray<T>, needs: [Bool]
    ) -> [NDArray<T>?] {
        if let g = FusedElementwise.largeGradient(.binary(.mul, 0, 1), grad, x, needs: needs) { return g }
        return [
            needs[0] ? NDArray.broadcast(grad, x[1], to: grad.shape) { $0 * $1 } : nil,
            needs[1] ? NDArray.broadcast(grad, x[0], to: grad.shape) { $0 * $1 } : nil,
        ]
    }
}

/// `a - b`, broadcasting.
public struct Sub: Operator {
    public static let signature = OpSignature(
        name: "sub", arity: .exactly(2), inputs: ["a", "b"], summary: "a - b, with NumPy broadcasting",
        pytorch: "torch.sub(a, b)", shapeRule: OpSignature.broadcastShape)

    public init() {}
    public init(attributes: Attributes) {}

    public func outputShape(_ inputs: [[Int]]) throws(OpError) -> [Int] { try Shape.broadcastRule(inputs) }

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func forward<T: Scalar>(_ x: [NDArray<T>]) -> NDArray<T> {
        if let y = FusedElementwise.large(.binary(.sub, 0, 1), x) { return y }
        let shape = Shape.broadcast(x[0].shape, x[1].shape) ?? []
        return NDArray.broadcast(x[0], x[1], to: shape) { $0 - $1 }
    }

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func vjp<T: Scalar>(
        _ grad: NDArray<T>, inputs: [NDArray<T>], output: NDArray<T>, needs: [Bool]
    ) -> [NDArray<T>?] {
        [grad, needs[1] ? grad.map { -$0 } : nil]
    }
}

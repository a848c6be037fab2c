/// `a + b`, broadcasting.
public struct Add: Operator {
    public static let signature = OpSignature(
        name: "add", arity: .exactly(2), inputs: ["a", "b"], summary: "a + b, with NumPy broadcasting",
        pytorch: "torch.add(a, b)", shapeRule: OpSignature.broadcastShape)

    public init() {}
    public init(attributes: Attributes) {}

    public func outputShape(_ inputs: [[Int]]) throws(OpError) -> [Int] { try Shape.broadcastRule(inputs) }

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func forward<T: Scalar>(_ x: [NDArray<T>]) -> NDArray<T> {
        if let y = FusedElementwise.large(.binary(.add, 0, 1), x) { return y }
        let shape = Shape.broadcast(x[0].shape, x[1].shape) ?? []
        return NDArray.broadcast(x[0], x[1], to: shape) { $0 + $1 }
    }

    // d(a+b)/da = d(a+b)/db = 1; the engine sums each back to its input's shape.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func vjp<T: Scalar>(
        _ grad: NDArray<T>, inputs: [NDArray<T>], output: NDArray<T>, needs: [Bool]
    ) -> [NDArray<T>?] {
        [grad, grad]
    }
}

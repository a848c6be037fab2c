/// `a` where `condition` is nonzero, else `b`, elementwise over the broadcast of all three,
/// as `torch.where(condition != 0, a, b)` (a NaN condition picks `a`). The gradient goes to
/// the input picked; `condition` gets a zero gradient.
public struct Where: Operator {
    public static let signature = OpSignature(
        name: "where", arity: .exactly(3), inputs: ["condition", "a", "b"],
        summary: "a where condition != 0, else b, elementwise, broadcasting all three",
        pytorch: "torch.where(condition != 0, a, b)",
        shapeRule: "the broadcast of the three shapes (NumPy rules); other shapes are a 422",
        notes: "a NaN condition picks a; condition gets a zero gradient")

    public init() {}
    public init(attributes: Attributes) {}

    public func outputShape(_ inputs: [[Int]]) throws(OpError) -> [Int] { try Shape.broadcastRule(inputs) }

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func forward<T: Scalar>(_ x: [NDArray<T>]) -> NDArray<T> {
        let shape = (try? outputShape(x.map(\.shape))) ?? []
        let c = x[0].broadcast(to: shape), a = x[1].broadcast(to: shape), b = x[2].broadcast(to: shape)
        return c.zip(a, b) { c, a, b in c != 0 ? a : b }
    }

    // torch: grad_a = where(condition, grad, 0), grad_b = where(condition, 0, grad).
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func vjp<T: Scalar>(
        _ grad: NDArray<T>, inputs x: [NDArray<T>], output: NDArray<T>, needs: [Bool]
    ) -> [NDArray<T>?] {
        let c = x[0].broadcast(to: grad.shape)
        return [
            needs[0] ? NDArray(repeating: 0, shape: x[0].shape) : nil,
            needs[1] ? grad.zip(c) { g, c in c != 0 ? g : 0 } : nil,
            needs[2] ? grad.zip(c) { g, c in c != 0 ? 0 : g } : nil,
        ]
    }
}

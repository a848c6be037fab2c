/// `a` where `condition` is nonzero, else `b`, elementwise over the broadcast of all three,
/// as `torch.where(condition != 0, a, b)` (a NaN condition picks `a`). The gradient goes to
/// the input picked; `condition` gets a zero gradient.
public struct Where: Operator {
    public static let signature = OpSignature(
        name: "where", arity: .exactly(3), inputs: ["condition", "a", "b"],
        summary: "a where condition != 0, else b, elementwise, broadcasting all three",
        pytorch: "torch.where(condition != 0, a, b)",
        shapeRule: "the broadcast of the three inputs' shapes (NumPy rules)",
        notes: "condition gets a zero gradient")

    /// The op; it has no attributes.
    public init() {}
    public init(attributes: Attributes) {}

    public func outputShape(_ inputs: [[Int]]) throws(OpError) -> [Int] { try Shape.broadcastRule(inputs) }

    // One select per element over contiguous buffers (a one-element `b`, as in a ReLU's
    // recorded gradient `where(mask, g, 0)`, is read once rather than broadcast).
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func forward<T: Scalar>(_ x: [NDArray<T>]) -> NDArray<T> {
        let shape = (try? outputShape(x.map(\.shape))) ?? []
        let n = Shape.count(shape) ?? 0
        let c = x[0].broadcast(to: shape), a = x[1].broadcast(to: shape)
        let oneB = x[2].count == 1
        let b = oneB ? x[2] : x[2].broadcast(to: shape)
        let out = c.data.withUnsafeBufferPointer { cp in
            a.data.withUnsafeBufferPointer { ap in
                b.data.withUnsafeBufferPointer { bp in
                    [T](unsafeUninitializedCapacity: n) { o, initialized in
                        // Both values are loaded before the choice: a load inside `?:`
                        // is conditional, which keeps the loop from becoming a blend.
                        if oneB {
                            let b0 = n > 0 ? bp[0] : 0
                            for i in 0..<n {
                                let (ci, ai) = (cp[i], ap[i])
                                o[i] = ci != 0 ? ai : b0
                            }
                        } else {
                            for i in 0..<n {
                                let (ci, ai, bi) = (cp[i], ap[i], bp[i])
                                o[i] = ci != 0 ? ai : bi
                            }
                        }
                        initialized = n
                    }
                }
            }
        }
        return NDArray(shape: shape, data: out)
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

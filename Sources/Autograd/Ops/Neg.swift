/// `-x`.
public struct Neg: Operator {
    public static let signature = OpSignature(
        name: "neg", arity: .exactly(1), inputs: ["x"], summary: "-x",
        pytorch: "torch.neg(x)", shapeRule: OpSignature.sameShape)

    /// The op; it has no attributes.
    public init() {}
    public init(attributes: Attributes) {}

    public func outputShape(_ inputs: [[Int]]) -> [Int] { inputs[0] }

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func forward<T: Scalar>(_ x: [NDArray<T>]) -> NDArray<T> {
        FusedElementwise.large(.unary(.neg, 0), x) ?? x[0].map { -$0 }
    }

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func vjp<T: Scalar>(
        _ grad: NDArray<T>, inputs: [NDArray<T>], output: NDArray<T>, needs: [Bool]
    ) -> [NDArray<T>?] {
        [grad.map { -$0 }]
    }
}

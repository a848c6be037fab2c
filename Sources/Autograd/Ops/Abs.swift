/// `|x|` elementwise.
public struct Abs: Operator {
    public static let signature = OpSignature(
        name: "abs", arity: .exactly(1), inputs: ["x"], summary: "|x| elementwise",
        pytorch: "torch.abs(x)", shapeRule: OpSignature.sameShape, notes: "gradient 0 at 0")

    /// The op; it has no attributes.
    public init() {}
    public init(attributes: Attributes) {}

    public func outputShape(_ inputs: [[Int]]) -> [Int] { Shape.sameShapeRule(inputs) }

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func forward<T: Scalar>(_ x: [NDArray<T>]) -> NDArray<T> {
        FusedElementwise.large(.unary(.abs, 0), x) ?? x[0].map { $0.magnitude }
    }

    // d|x| = sign(x), with the subgradient 0 at 0 (and at NaN), as torch's sgn.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func vjp<T: Scalar>(
        _ grad: NDArray<T>, inputs x: [NDArray<T>], output: NDArray<T>, needs: [Bool]
    ) -> [NDArray<T>?] {
        FusedElementwise.largeGradient(.unary(.abs, 0), grad, x, needs: needs)
            ?? [grad.zip(x[0]) { g, x in g * (x > 0 ? 1 : x < 0 ? -1 : 0) }]
    }
}

/// The logistic function `1 / (1 + e^-x)` elementwise.
public struct SigmoidOp: Operator {
    public static let signature = OpSignature(
        name: "sigmoid", arity: .exactly(1), inputs: ["x"], summary: "1 / (1 + exp(-x)) elementwise",
        pytorch: "torch.sigmoid(x)",
        shapeRule: OpSignature.sameShape,
        notes: "two-branch form, stable at any magnitude")

    /// The op; it has no attributes.
    public init() {}
    public init(attributes: Attributes) {}

    public func outputShape(_ inputs: [[Int]]) -> [Int] { Shape.sameShapeRule(inputs) }

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func forward<T: Scalar>(_ x: [NDArray<T>]) -> NDArray<T> {
        FusedElementwise.large(.unary(.sigmoid, 0), x) ?? x[0].map { T.sigmoid($0) }
    }

    // σ' = σ(1 - σ), from the output, in torch's sigmoid_backward order g * (1 - σ) * σ.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func vjp<T: Scalar>(
        _ grad: NDArray<T>, inputs: [NDArray<T>], output: NDArray<T>, needs: [Bool]
    ) -> [NDArray<T>?] {
        FusedElementwise.largeGradient(.unary(.sigmoid, 0), grad, inputs, needs: needs)
            ?? [grad.zip(output) { g, s in g * (1 - s) * s }]
    }
}

extension Scalar {
    /// The logistic function, with `exp` only ever of a non-positive argument: `1/(1+e^-x)`
    /// for `x >= 0`, `e^x/(1+e^x)` below, so no `exp` overflows and `sigmoid(-1000)` is 0.
    /// `Scalar.logistic` computes it branch-free, with each precision's own `exp`, so that
    /// loops vectorise (FastMath.swift).
    @inline(__always)
    static func sigmoid(_ x: Self) -> Self { logistic(x) }
}

/// Softplus `log(1 + e^x)` elementwise, with PyTorch's defaults `beta = 1` and
/// `threshold = 20`: above the threshold it is `x` itself.
public struct SoftplusOp: Operator {
    public static let signature = OpSignature(
        name: "softplus", arity: .exactly(1), inputs: ["x"],
        summary: "log(1 + exp(x)) elementwise; x itself where x > 20",
        pytorch: "torch.nn.functional.softplus(x)",
        shapeRule: OpSignature.sameShape,
        notes: "beta 1, threshold 20 (PyTorch's defaults): the gradient is exactly 1 above 20")

    /// Where softplus becomes the identity (torch's `threshold`).
    static let threshold = 20.0

    /// The op; it has no attributes.
    public init() {}
    public init(attributes: Attributes) {}

    public func outputShape(_ inputs: [[Int]]) -> [Int] { Shape.sameShapeRule(inputs) }

    // log(1 + e^x) = max(x, 0) + log1p(e^-|x|): exp of a non-positive argument never
    // overflows, and softplus(-1000) is log1p(0) = 0 rather than a rounding of log(1).
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func forward<T: Scalar>(_ x: [NDArray<T>]) -> NDArray<T> {
        if let y = FusedElementwise.large(.unary(.softplus, 0), x) { return y }
        let threshold = T(Self.threshold)
        return x[0].map { x in
            x > threshold ? x : (x > 0 ? x : 0) + T.log(onePlus: T.exp(-x.magnitude))
        }
    }

    // softplus' = σ(x), in the stable form; 1 above the threshold, as torch.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func vjp<T: Scalar>(
        _ grad: NDArray<T>, inputs x: [NDArray<T>], output: NDArray<T>, needs: [Bool]
    ) -> [NDArray<T>?] {
        if let g = FusedElementwise.largeGradient(.unary(.softplus, 0), grad, x, needs: needs) { return g }
        let threshold = T(Self.threshold)
        return [grad.zip(x[0]) { g, x in x > threshold ? g : g * T.sigmoid(x) }]
    }
}

/// `a ** b` elementwise, broadcasting, with C's `pow` rules: a negative base takes an
/// integral exponent (`(-2) ** 3 = -8`) and `x ** 0 = 1` for every `x`.
public struct Pow: Operator {
    public static let signature = OpSignature(
        name: "pow", arity: .exactly(2), inputs: ["a", "b"],
        summary: "a ** b elementwise, with NumPy broadcasting",
        pytorch: "torch.pow(a, b)",
        shapeRule: OpSignature.broadcastShape,
        notes: "gradients for base and exponent; the exponent's is 0 where a == 0 and b >= 0, the base's 0 where b == 0")

    public init() {}
    public init(attributes: Attributes) {}

    public func outputShape(_ inputs: [[Int]]) throws(OpError) -> [Int] { try Shape.broadcastRule(inputs) }

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func forward<T: Scalar>(_ x: [NDArray<T>]) -> NDArray<T> {
        let shape = Shape.broadcast(x[0].shape, x[1].shape) ?? []
        return NDArray.broadcast(x[0], x[1], to: shape) { T.cPow($0, $1) }
    }

    // da = g * b * a^(b-1), db = g * a^b * log(a), as torch's pow_backward_self and
    // pow_backward_exponent: da is 0 where b == 0 (so 0 ** 0 has no 0 * inf), and db is 0
    // where a == 0 and b >= 0, the limit of a^b log a there, instead of 0 * -inf.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func vjp<T: Scalar>(
        _ grad: NDArray<T>, inputs x: [NDArray<T>], output: NDArray<T>, needs: [Bool]
    ) -> [NDArray<T>?] {
        let a = x[0].broadcast(to: grad.shape), b = x[1].broadcast(to: grad.shape)
        return [
            needs[0] ? grad.zip(a, b) { g, a, b in b == 0 ? 0 : g * (b * T.cPow(a, b - 1)) } : nil,
            needs[1]
                ? grad.zip(a.zip(b, output) { a, b, y in a == 0 && b >= 0 ? 0 : y * T.log(a) }) { $0 * $1 }
                : nil,
        ]
    }
}

extension Scalar {
    /// `pow` as C and PyTorch define it. swift-numerics' `pow(x, y)` is `exp(y log x)`,
    /// NaN for every negative `x` and for `0 ** 0`; C's gives `(-2) ** 3 = -8`, `x ** 0 = 1`.
    @inline(__always)
    static func cPow(_ x: Self, _ y: Self) -> Self {
        if y == 0 || x == 1 { return 1 }
        if !(x < 0) { return Self.pow(x, y) }
        // A negative base: |x| ** y, negated for an odd integral y; NaN for a fractional y.
        // Integral floats from 2^significandBitCount on are even, and halving is exact.
        guard y.rounded(.towardZero) == y else { return .nan }
        let half = y / 2
        let magnitude = Self.pow(-x, y)
        return half.rounded(.towardZero) == half ? magnitude : -magnitude
    }
}

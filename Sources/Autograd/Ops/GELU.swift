/// How `gelu` computes the Gaussian CDF: PyTorch's `approximate` argument.
public enum GELUApproximation: String, Sendable, CaseIterable {
    /// The exact `Φ(x) = (1 + erf(x/√2)) / 2`.
    case none
    /// `(1 + tanh(√(2/π) (x + 0.044715 x³))) / 2`.
    case tanh
}

/// Gaussian error linear unit `x Φ(x)` elementwise, exact or with the tanh approximation.
public struct GELUOp: UnaryElementwise {
    public static let signature = OpSignature(
        name: "gelu", arity: .exactly(1), inputs: ["x"],
        attributes: [
            AttributeSpec(
                "approximate", .choice(GELUApproximation.allCases.map(\.rawValue)), default: .string("none"),
                "none for the exact erf form, tanh for the tanh approximation")
        ],
        summary: "x Φ(x) elementwise, Φ the standard normal CDF (exact, or tanh-approximated)",
        pytorch: "torch.nn.functional.gelu(x, approximate=approximate)", shapeRule: OpSignature.sameShape)

    /// The exact erf form (`.none`) or the tanh approximation.
    public let approximate: GELUApproximation

    /// The op in the form `approximate` selects.
    public init(approximate: GELUApproximation = .none) { self.approximate = approximate }

    public init(attributes: Attributes) throws(OpError) {
        let name = try attributes.string("approximate")
        guard let a = GELUApproximation(rawValue: name) else {
            throw .attribute(name: "approximate", detail: "must be \"none\" or \"tanh\"")
        }
        self.init(approximate: a)
    }

    // The constants and the order of operations are those of torch's CPU GeluKernel, each
    // constant computed in Double and rounded once to T.
    private static let twoOverSqrtPi = 1.1283791670955126  // M_2_SQRTPI
    private static let sqrtTwo = 1.4142135623730951  // M_SQRT2
    private static let kappa = 0.044715

    // The exact form is cak_special.h's cak_gelu (branch-free erf, vectorised loops at
    // every CPU level, the same bits in the scalar form below and in the tile loops).
    public func value<T: Scalar>(_ x: T) -> T {
        switch approximate {
        case .none:
            return CPUKernels.gelu(x)
        case .tanh:
            let inner = T(Self.sqrtTwo * Self.twoOverSqrtPi * 0.5) * (x + T(Self.kappa) * (x * x * x))
            return 0.5 * x * (1 + T.tanh(inner))
        }
    }

    // Exact: Φ(x) + x φ(x). Tanh: the product rule on 0.5x · (1 + tanh(inner)).
    public func derivative<T: Scalar>(_ g: T, x: T, y: T) -> T {
        switch approximate {
        case .none:
            return CPUKernels.geluGradient(g, x)
        case .tanh:
            let beta = T(Self.sqrtTwo * Self.twoOverSqrtPi * 0.5), kappa = T(Self.kappa)
            let xSquared = x * x
            let inner = beta * (x + kappa * (xSquared * x))
            let t = T.tanh(inner)
            let left = 0.5 * x, right = 1 + t
            let innerDerivative = beta * (1 + 3 * kappa * xSquared)
            return g * (0.5 * right + left * (1 - t * t) * innerDerivative)
        }
    }

    /// `y[i] = f(x[i])` for `i < m`: the vectorised kernel (cak_special.h).
    public func valueTile(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ m: Int) { tile(x, y, m) }
    /// `y[i] = f(x[i])` for `i < m`: the vectorised kernel (cak_special.h).
    public func valueTile(_ x: UnsafePointer<Double>, _ y: UnsafeMutablePointer<Double>, _ m: Int) { tile(x, y, m) }
    /// `d[i] = derivative(g[i], x[i], y[i])` for `i < m`: the vectorised kernel.
    public func derivativeTile(
        _ g: UnsafePointer<Float>, _ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>,
        _ d: UnsafeMutablePointer<Float>, _ m: Int
    ) { gradientTile(g, x, d, m) }
    /// `d[i] = derivative(g[i], x[i], y[i])` for `i < m`: the vectorised kernel.
    public func derivativeTile(
        _ g: UnsafePointer<Double>, _ x: UnsafePointer<Double>, _ y: UnsafePointer<Double>,
        _ d: UnsafeMutablePointer<Double>, _ m: Int
    ) { gradientTile(g, x, d, m) }

    @inline(__always)
    private func tile<T: Scalar>(_ x: UnsafePointer<T>, _ y: UnsafeMutablePointer<T>, _ m: Int) {
        if approximate == .none {
            CPUKernels.unary(CPUKernels.gelu, x, y, m) { CPUKernels.gelu($0) }
        } else {
            for i in 0..<m { y[i] = value(x[i]) }
        }
    }

    @inline(__always)
    private func gradientTile<T: Scalar>(
        _ g: UnsafePointer<T>, _ x: UnsafePointer<T>, _ d: UnsafeMutablePointer<T>, _ m: Int
    ) {
        if approximate == .none {
            CPUKernels.binary(CPUKernels.geluGradient, g, x, d, m) { CPUKernels.geluGradient($0, $1) }
        } else {
            for i in 0..<m { d[i] = derivative(g[i], x: x[i], y: 0) }
        }
    }
}

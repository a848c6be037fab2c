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

    public let approximate: GELUApproximation

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
    private static let sqrtHalf = 0.7071067811865476  // M_SQRT1_2
    private static let twoOverSqrtPi = 1.1283791670955126  // M_2_SQRTPI
    private static let sqrtTwo = 1.4142135623730951  // M_SQRT2
    private static let kappa = 0.044715

    public func value<T: Scalar>(_ x: T) -> T {
        switch approximate {
        case .none:
            return x * 0.5 * (1 + T.erf(x * T(Self.sqrtHalf)))
        case .tanh:
            let inner = T(Self.sqrtTwo * Self.twoOverSqrtPi * 0.5) * (x + T(Self.kappa) * (x * x * x))
            return 0.5 * x * (1 + T.tanh(inner))
        }
    }

    // Exact: Φ(x) + x φ(x). Tanh: the product rule on 0.5x · (1 + tanh(inner)).
    public func derivative<T: Scalar>(_ g: T, x: T, y: T) -> T {
        switch approximate {
        case .none:
            let cdf = 0.5 * (1 + T.erf(x * T(Self.sqrtHalf)))
            let pdf = T(Self.twoOverSqrtPi * Self.sqrtHalf * 0.5) * T.exp(x * x * -0.5)
            return g * (cdf + x * pdf)
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
}

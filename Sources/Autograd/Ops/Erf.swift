/// the error function elementwise.
public struct Erf: UnaryElementwise {
    public static let signature = OpSignature(
        name: "erf", arity: .exactly(1), inputs: ["x"], summary: "the error function elementwise",
        pytorch: "torch.erf(x)", shapeRule: OpSignature.sameShape)
    /// The op; it has no attributes.
    public init() {}
    public init(attributes: Attributes) {}

    // Branch-free (cak_special.h, about 1.3 ulp): vectorised loops at every CPU level, the
    // same bits in these scalar forms.
    public func value<T: Scalar>(_ x: T) -> T { CPUKernels.erf(x) }
    // torch: 2/sqrt(pi) * exp(-x²) * grad.
    public func derivative<T: Scalar>(_ g: T, x: T, y: T) -> T { CPUKernels.erfGradient(g, x) }

    /// `y[i] = f(x[i])` for `i < m`: the vectorised kernel (cak_special.h).
    public func valueTile(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ m: Int) {
        CPUKernels.unary(CPUKernels.erf, x, y, m) { CPUKernels.erf($0) }
    }
    /// `y[i] = f(x[i])` for `i < m`: the vectorised kernel (cak_special.h).
    public func valueTile(_ x: UnsafePointer<Double>, _ y: UnsafeMutablePointer<Double>, _ m: Int) {
        CPUKernels.unary(CPUKernels.erf, x, y, m) { CPUKernels.erf($0) }
    }
    /// `d[i] = derivative(g[i], x[i], y[i])` for `i < m`: the vectorised kernel.
    public func derivativeTile(
        _ g: UnsafePointer<Float>, _ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>,
        _ d: UnsafeMutablePointer<Float>, _ m: Int
    ) { CPUKernels.binary(CPUKernels.erfGradient, g, x, d, m) { CPUKernels.erfGradient($0, $1) } }
    /// `d[i] = derivative(g[i], x[i], y[i])` for `i < m`: the vectorised kernel.
    public func derivativeTile(
        _ g: UnsafePointer<Double>, _ x: UnsafePointer<Double>, _ y: UnsafePointer<Double>,
        _ d: UnsafeMutablePointer<Double>, _ m: Int
    ) { CPUKernels.binary(CPUKernels.erfGradient, g, x, d, m) { CPUKernels.erfGradient($0, $1) } }
}

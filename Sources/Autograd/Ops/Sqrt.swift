/// Square root elementwise: `sqrt(x < 0) = NaN`.
public struct Sqrt: UnaryElementwise {
    public static let signature = OpSignature(
        name: "sqrt", arity: .exactly(1), inputs: ["x"], summary: "square root elementwise",
        pytorch: "torch.sqrt(x)", shapeRule: OpSignature.sameShape, notes: "derivative +inf at 0, as PyTorch")

    public init() {}
    public init(attributes: Attributes) {}

    public func value<T: Scalar>(_ x: T) -> T { x.squareRoot() }
    // d sqrt(x) = 1 / (2 sqrt(x)), from the output; inf at 0, as torch.
    public func derivative<T: Scalar>(_ g: T, x: T, y: T) -> T { g / (2 * y) }
    public var kernel: FusedElementwise.Unary? { .sqrt }
}

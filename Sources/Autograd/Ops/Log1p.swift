/// log(1 + x) elementwise, accurate near 0.
public struct Log1p: UnaryElementwise {
    public static let signature = OpSignature(name: "log1p", arity: .exactly(1), inputs: ["x"], summary: "log(1 + x) elementwise, accurate near 0", pytorch: "torch.log1p(x)", shapeRule: OpSignature.sameShape, notes: "-inf at -1, with gradient ±inf")
    public init() {}
    public init(attributes: Attributes) {}

    public func value<T: Scalar>(_ x: T) -> T { T.log(onePlus: x) }
    // torch's log1p_backward: grad / (x + 1); ±inf at -1.
    public func derivative<T: Scalar>(_ g: T, x: T, y: T) -> T { g / (x + 1) }
}

/// How a loss reduces its elementwise values: PyTorch's `reduction` argument.
public enum Reduction: String, Sendable, CaseIterable {
    case mean
    case sum
    case none

    public static let attribute = AttributeSpec(
        "reduction", .choice(allCases.map(\.rawValue)), default: .string("mean"),
        "mean or sum of the elementwise losses, or none to keep them")

    public init(attributes: Attributes) throws(OpError) {
        let name = try attributes.string("reduction")
        guard let r = Reduction(rawValue: name) else {
            throw .attribute(name: "reduction", detail: "must be \"mean\", \"sum\" or \"none\"")
        }
        self = r
    }

    /// The loss's shape given the shape of its elementwise values.
    public func outputShape(_ elementwise: [Int]) -> [Int] { self == .none ? elementwise : [] }

    /// Reduces the elementwise losses.
    public func apply<T: Scalar>(_ losses: NDArray<T>) -> NDArray<T> {
        switch self {
        case .none: return losses
        case .sum: return losses.sum(to: [])
        case .mean: return losses.sum(to: []).map { $0 / T(losses.count) }
        }
    }

    /// The upstream gradient of each elementwise loss: `grad` itself for `none`, else the
    /// scalar `grad` (over the element count for `mean`) spread over `shape`.
    public func spread<T: Scalar>(_ grad: NDArray<T>, over shape: [Int]) -> NDArray<T> {
        switch self {
        case .none: return grad
        case .sum: return grad.broadcast(to: shape)
        case .mean:
            let n = T(Shape.count(shape) ?? 1)
            return grad.map { $0 / n }.broadcast(to: shape)
        }
    }
}

/// A loss over two operands of the same shape, reduced elementwise values: mse_loss,
/// binary_cross_entropy, binary_cross_entropy_with_logits. Their attribute and shape rule
/// live here once.
public protocol ElementwiseLoss: Operator {
    var reduction: Reduction { get }
    init(reduction: Reduction)
}

extension ElementwiseLoss {
    public init(attributes: Attributes) throws(OpError) {
        self.init(reduction: try Reduction(attributes: attributes))
    }

    /// The signature of such a loss: inputs `input` and `target`, attribute `reduction`.
    static func lossSignature(
        _ name: String, _ summary: String, pytorch: String? = nil, notes: String? = nil
    ) -> OpSignature {
        OpSignature(
            name: name, arity: .exactly(2), inputs: ["input", "target"], attributes: [Reduction.attribute],
            summary: summary, pytorch: pytorch, shapeRule: "input and target of one shape; [] for \"mean\" and \"sum\", that shape for \"none\"", notes: notes)
    }

    public func outputShape(_ inputs: [[Int]]) throws(OpError) -> [Int] {
        guard inputs[0] == inputs[1] else {
            throw .shape(
                "\(Self.signature.name): input \(Shape.describe(inputs[0])) and target "
                    + "\(Shape.describe(inputs[1])) differ in shape")
        }
        return reduction.outputShape(inputs[0])
    }
}

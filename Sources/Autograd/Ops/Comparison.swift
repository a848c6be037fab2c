/// The six elementwise comparisons (`greater` ... `not_equal`): 1.0 where the relation
/// holds and 0.0 where it does not (NaN compares false, except `not_equal`, as torch),
/// broadcasting. Not differentiable: both inputs get a zero gradient. A conforming op names
/// its signature and its relation; the rest lives here.
public protocol Comparison: Operator {
    static var relation: Relation { get }
    init()
}

/// What a comparison tests.
public enum Relation: Sendable {
    case greater, greaterEqual, less, lessEqual, equal, notEqual
}

extension Comparison {
    public init(attributes: Attributes) { self.init() }

    /// The signature of a comparison: inputs `a` and `b`, no attributes.
    static func comparisonSignature(_ name: String, _ relation: String, _ torchName: String) -> OpSignature {
        OpSignature(
            name: name, arity: .exactly(2), inputs: ["a", "b"],
            summary: "1 where \(relation) else 0, elementwise, broadcasting; zero gradient",
            pytorch: "torch.\(torchName)(a, b)", shapeRule: OpSignature.broadcastShape,
            notes: "NaN compares false (not_equal: true), as torch")
    }

    public func outputShape(_ inputs: [[Int]]) throws(OpError) -> [Int] { try Shape.broadcastRule(inputs) }

    public func forward<T: Scalar>(_ x: [NDArray<T>]) -> NDArray<T> {
        compare(Self.relation, x[0], x[1], to: Shape.broadcast(x[0].shape, x[1].shape) ?? [])
    }

    public func vjp<T: Scalar>(
        _ grad: NDArray<T>, inputs x: [NDArray<T>], output: NDArray<T>, needs: [Bool]
    ) -> [NDArray<T>?] {
        zeroGradients(x, needs: needs)
    }
}

/// Zeros of each needed input's shape: the gradient of a non-differentiable output.
func zeroGradients<T: Scalar>(_ x: [NDArray<T>], needs: [Bool]) -> [NDArray<T>?] {
    x.indices.map { needs[$0] ? NDArray(repeating: 0, shape: x[$0].shape) : nil }
}

/// `relation` of `a` and `b` broadcast to `shape`, as 1 or 0; one loop per relation.
@_specialize(where T == Float)
@_specialize(where T == Double)
func compare<T: Scalar>(_ relation: Relation, _ a: NDArray<T>, _ b: NDArray<T>, to shape: [Int]) -> NDArray<T> {
    switch relation {
    case .greater: NDArray.broadcast(a, b, to: shape) { $0 > $1 ? 1 : 0 }
    case .greaterEqual: NDArray.broadcast(a, b, to: shape) { $0 >= $1 ? 1 : 0 }
    case .less: NDArray.broadcast(a, b, to: shape) { $0 < $1 ? 1 : 0 }
    case .lessEqual: NDArray.broadcast(a, b, to: shape) { $0 <= $1 ? 1 : 0 }
    case .equal: NDArray.broadcast(a, b, to: shape) { $0 == $1 ? 1 : 0 }
    case .notEqual: NDArray.broadcast(a, b, to: shape) { $0 != $1 ? 1 : 0 }
    }
}

/// The vector norm over axes, as `torch.linalg.vector_norm(x, ord, dim=axis,
/// keepdim=keepdims)`, for `ord` 2 (Euclidean), 1 (sum of magnitudes) and "inf" (largest
/// magnitude).
public struct Norm: Operator {
    public static let signature = OpSignature(
        name: "norm", arity: .exactly(1), inputs: ["x"],
        attributes: [
            AttributeSpec("ord", .numberOrChoice(["inf"]), default: .int(2), "2, 1 or \"inf\""),
            ReducedAxes.axisAttribute, ReducedAxes.keepdimsAttribute,
        ],
        summary: "vector norm over axes (default all): ord 2, 1 or \"inf\"",
        pytorch: "torch.linalg.vector_norm(x, ord, dim=axis, keepdim=keepdims)",
        shapeRule: "x's shape without the reduced axes (kept as 1 with keepdims)",
        notes: "gradients as torch: ord 2 gives 0 where the norm is 0; ord inf shares the gradient among tied magnitudes; ord inf over an empty axis is a 422")

    /// Which norm.
    public enum Order: Sendable, Equatable {
        /// `one`: the sum of magnitudes (ord 1); `two`: the Euclidean norm (ord 2); `infinity`: the
        /// largest magnitude (ord "inf").
        case one, two, infinity
    }

    /// Which norm; default `two`, as torch's `ord=2`.
    public let ord: Order
    /// The axes reduced, negatives counting from the end; nil reduces them all (torch's
    /// `dim=None`).
    public let axes: [Int]?
    /// Whether the reduced axes stay in the output with length 1 (torch's `keepdim`); default
    /// false.
    public let keepdims: Bool

    /// The op as `torch.linalg.vector_norm(x, ord, dim=axes, keepdim=keepdims)`.
    public init(ord: Order = .two, axes: [Int]? = nil, keepdims: Bool = false) {
        self.ord = ord
        self.axes = axes
        self.keepdims = keepdims
    }

    public init(attributes: Attributes) throws(OpError) {
        let ord: Order
        switch attributes["ord"] {
        case .string("inf")?: ord = .infinity
        case .int(1)?, .number(1)?: ord = .one
        case .int(2)?, .number(2)?: ord = .two
        default: throw .attribute(name: "ord", detail: "must be 2, 1 or \"inf\"")
        }
        self.init(ord: ord, axes: try attributes.axes("axis"), keepdims: try attributes.bool("keepdims"))
    }

    public func outputShape(_ inputs: [[Int]]) throws(OpError) -> [Int] {
        let r = try ReducedAxes(shape: inputs[0], axes: axes, keepdims: keepdims)
        // torch: the infinity norm, a maximum, has no value over nothing.
        return ord == .infinity ? try ReducedAxes.extremum("norm", r).outputShape : r.outputShape
    }

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func forward<T: Scalar>(_ x: [NDArray<T>]) -> NDArray<T> {
        guard let r = try? ReducedAxes(shape: x[0].shape, axes: axes, keepdims: keepdims) else { return x[0] }
        let y: NDArray<T>
        switch ord {
        case .two: y = x[0].map { $0 * $0 }.sum(to: r.keptShape).map { $0.squareRoot() }
        case .one: y = x[0].map { $0.magnitude }.sum(to: r.keptShape)
        case .infinity: y = x[0].map { $0.magnitude }.reducedMax(to: r.keptShape)
        }
        return y.reshaped(r.outputShape)
    }

    // torch's norm_backward: 2: x * (g / norm), 0 where the norm is 0; 1: sgn(x) * g;
    // inf: sgn(x) * g / (count of |x| equal to the norm, or NaN) on those elements.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func vjp<T: Scalar>(
        _ grad: NDArray<T>, inputs x: [NDArray<T>], output: NDArray<T>, needs: [Bool]
    ) -> [NDArray<T>?] {
        guard let r = try? ReducedAxes(shape: x[0].shape, axes: axes, keepdims: keepdims) else { return [nil] }
        let g = grad.reshaped(r.keptShape), norm = output.reshaped(r.keptShape)
        let shape = x[0].shape
        switch ord {
        case .two:
            let scale = g.zip(norm) { g, n in n == 0 ? 0 : g / n }
            return [NDArray.broadcast(x[0], scale, to: shape) { $0 * $1 }]
        case .one:
            return [NDArray.broadcast(x[0], g, to: shape) { x, g in Self.sgn(x) * g }]
        case .infinity:
            let mask = NDArray.broadcast(x[0], norm, to: shape) { x, n in x.magnitude == n || x.isNaN ? 1 : 0 }
            let share = g.zip(mask.sum(to: r.keptShape)) { $0 / $1 }
            let masked = NDArray.broadcast(mask, share, to: shape) { $1 * $0 }
            return [x[0].zip(masked) { Self.sgn($0) * $1 }]
        }
    }

    /// torch's sgn: -1, 0 or 1; 0 at NaN (as `sign`).
    @inline(__always)
    static func sgn<T: Scalar>(_ x: T) -> T { x > 0 ? 1 : x < 0 ? -1 : 0 }
}

/// The `axis` / `keepdims` pair of the reductions, resolved against an input shape.
public struct ReducedAxes: Sendable {
    /// The shape reduced.
    public let inputShape: [Int]
    /// Normalised axes, ascending.
    public let axes: [Int]
    /// The input shape with every reduced axis set to 1.
    public let keptShape: [Int]
    /// The output shape: `keptShape`, or without the reduced axes unless `keepdims`.
    public let outputShape: [Int]
    /// How many input elements each output element reduces.
    public let groupSize: Int

    public static let axisAttribute = AttributeSpec(
        "axis", .intOrInts, default: .null, "axis or axes to reduce, negatives from the end; default all")
    public static let keepdimsAttribute = AttributeSpec(
        "keepdims", .bool, default: .bool(false), "keep reduced axes with length 1")

    public init(shape: [Int], axes: [Int]?, keepdims: Bool) throws(OpError) {
        let normalized: [Int]
        do {
            normalized = try Shape.normalizeAxes(axes, rank: shape.count)
        } catch {
            throw .attribute(name: "axis", detail: error.text)
        }
        var kept = shape
        var group = 1
        for a in normalized {
            group *= shape[a]
            kept[a] = 1
        }
        self.inputShape = shape
        self.axes = normalized
        self.keptShape = kept
        self.groupSize = group
        self.outputShape = keepdims ? kept : shape.indices.filter { !normalized.contains($0) }.map { shape[$0] }
    }
}

/// An op that reduces its one input over `axis` (all by default), keeping the reduced axes
/// with length 1 when `keepdims`: sum, mean, amax, amin. Their attribute decoding and
/// shape rule live here once.
public protocol AxisReduction: Operator {
    var axes: [Int]? { get }
    var keepdims: Bool { get }
    init(axes: [Int]?, keepdims: Bool)
}

extension AxisReduction {
    public init(attributes: Attributes) throws(OpError) {
        self.init(axes: try attributes.axes("axis"), keepdims: try attributes.bool("keepdims"))
    }

    /// The signature of a reduction: one input `x`, attributes `axis` and `keepdims`.
    static func reductionSignature(
        _ name: String, _ summary: String, pytorch: String? = nil, notes: String? = nil
    ) -> OpSignature {
        OpSignature(
            name: name, arity: .exactly(1), inputs: ["x"],
            attributes: [ReducedAxes.axisAttribute, ReducedAxes.keepdimsAttribute], summary: summary,
            pytorch: pytorch,
            shapeRule:
                "x's shape without the axes reduced (each kept as length 1 with keepdims); [] when every axis is reduced",
            notes: notes)
    }

    public func outputShape(_ inputs: [[Int]]) throws(OpError) -> [Int] {
        try reduced(inputs[0]).outputShape
    }

    /// The axes resolved against an input shape.
    func reduced(_ shape: [Int]) throws(OpError) -> ReducedAxes {
        try ReducedAxes(shape: shape, axes: axes, keepdims: keepdims)
    }
}

/// Sum over axes.
public struct Sum: AxisReduction {
    public static let signature = reductionSignature(
        "sum", "sum over axes (default all)",
        pytorch: "torch.sum(x, dim=axis, keepdim=keepdims)")

    public let axes: [Int]?
    public let keepdims: Bool

    public init(axes: [Int]? = nil, keepdims: Bool = false) {
        self.axes = axes
        self.keepdims = keepdims
    }

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func forward<T: Scalar>(_ x: [NDArray<T>]) -> NDArray<T> {
        guard let r = try? reduced(x[0].shape) else { return x[0] }
        return x[0].sum(to: r.keptShape).reshaped(r.outputShape)
    }

    // Every summed element receives the upstream gradient of its group.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func vjp<T: Scalar>(
        _ grad: NDArray<T>, inputs x: [NDArray<T>], output: NDArray<T>, needs: [Bool]
    ) -> [NDArray<T>?] {
        guard let r = try? reduced(x[0].shape) else { return [nil] }
        return [grad.reshaped(r.keptShape).broadcast(to: x[0].shape)]
    }
}

/// Mean over axes.
public struct Mean: AxisReduction {
    public static let signature = reductionSignature("mean", "mean over axes (default all)", pytorch: "torch.mean(x, dim=axis, keepdim=keepdims)")

    public let axes: [Int]?
    public let keepdims: Bool

    public init(axes: [Int]? = nil, keepdims: Bool = false) {
        self.axes = axes
        self.keepdims = keepdims
    }

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func forward<T: Scalar>(_ x: [NDArray<T>]) -> NDArray<T> {
        guard let r = try? reduced(x[0].shape) else { return x[0] }
        let n = T(r.groupSize)
        return x[0].sum(to: r.keptShape).reshaped(r.outputShape).map { $0 / n }
    }

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func vjp<T: Scalar>(
        _ grad: NDArray<T>, inputs x: [NDArray<T>], output: NDArray<T>, needs: [Bool]
    ) -> [NDArray<T>?] {
        guard let r = try? reduced(x[0].shape) else { return [nil] }
        let n = T(r.groupSize)
        return [grad.reshaped(r.keptShape).map { $0 / n }.broadcast(to: x[0].shape)]
    }
}

/// Softmax along one axis, as `torch.softmax(x, dim=axis)`.
public struct Softmax: Operator {
    public static let signature = OpSignature(
        name: "softmax", arity: .exactly(1), inputs: ["x"],
        attributes: [axisAttribute],
        summary: "exp(x) / sum(exp(x)) along axis (default -1), stable at any magnitude",
        pytorch: "torch.softmax(x, dim=axis)",
        shapeRule: OpSignature.sameShape,
        notes: "the maximum is subtracted first")

    static let axisAttribute = AttributeSpec(
        "axis", .int, default: .int(-1), "axis to normalise along, negatives from the end")

    public let axis: Int

    public init(axis: Int = -1) { self.axis = axis }

    public init(attributes: Attributes) throws(OpError) {
        self.init(axis: try attributes.int("axis"))
    }

    public func outputShape(_ inputs: [[Int]]) throws(OpError) -> [Int] {
        _ = try Shape.resolveAxis(axis, rank: inputs[0].count, scalarAllowed: true)
        return inputs[0]
    }

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func forward<T: Scalar>(_ x: [NDArray<T>]) -> NDArray<T> {
        guard let a = try? Shape.resolveAxis(axis, rank: x[0].rank, scalarAllowed: true) else { return x[0] }
        let e = shiftedByMax(x[0], axis: a).map { .exp($0) }
        let s = e.sum(to: Shape.keeping(e.shape, axis: a))
        return NDArray.broadcast(e, s, to: e.shape) { $0 / $1 }
    }

    // dx = y * (g - sum(g * y)) along the axis.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func vjp<T: Scalar>(
        _ grad: NDArray<T>, inputs x: [NDArray<T>], output y: NDArray<T>, needs: [Bool]
    ) -> [NDArray<T>?] {
        guard let a = try? Shape.resolveAxis(axis, rank: y.rank, scalarAllowed: true) else { return [nil] }
        let s = grad.zip(y) { $0 * $1 }.sum(to: Shape.keeping(y.shape, axis: a))
        return [NDArray.broadcast(grad, s, to: y.shape) { $0 - $1 }.zip(y) { $0 * $1 }]
    }
}

/// `x - max(x)` along `axis`: the shift that keeps `exp` finite for softmax and
/// log_softmax whatever the logits' magnitude (the log-sum-exp trick).
func shiftedByMax<T: Scalar>(_ x: NDArray<T>, axis: Int) -> NDArray<T> {
    let m = x.reducedMax(to: Shape.keeping(x.shape, axis: axis))
    return NDArray.broadcast(x, m, to: x.shape) { $0 - $1 }
}

/// Log-softmax along one axis, as `torch.log_softmax(x, dim=axis)`.
public struct LogSoftmax: Operator {
    public static let signature = OpSignature(
        name: "log_softmax", arity: .exactly(1), inputs: ["x"],
        attributes: [Softmax.axisAttribute],
        summary: "x - log(sum(exp(x))) along axis (default -1), stable at any magnitude",
        pytorch: "torch.log_softmax(x, dim=axis)",
        shapeRule: OpSignature.sameShape,
        notes: "log-sum-exp form")

    public let axis: Int

    public init(axis: Int = -1) { self.axis = axis }

    public init(attributes: Attributes) throws(OpError) {
        self.init(axis: try attributes.int("axis"))
    }

    public func outputShape(_ inputs: [[Int]]) throws(OpError) -> [Int] {
        _ = try Shape.resolveAxis(axis, rank: inputs[0].count, scalarAllowed: true)
        return inputs[0]
    }

    // (x - max) - log(sum(exp(x - max))), the order PyTorch's kernel rounds in.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func forward<T: Scalar>(_ x: [NDArray<T>]) -> NDArray<T> {
        guard let a = try? Shape.resolveAxis(axis, rank: x[0].rank, scalarAllowed: true) else { return x[0] }
        let shifted = shiftedByMax(x[0], axis: a)
        let logSum = shifted.map { .exp($0) }.sum(to: Shape.keeping(shifted.shape, axis: a)).map { .log($0) }
        return NDArray.broadcast(shifted, logSum, to: shifted.shape) { $0 - $1 }
    }

    // dx = g - exp(y) * sum(g) along the axis, exp(y) being the softmax.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func vjp<T: Scalar>(
        _ grad: NDArray<T>, inputs x: [NDArray<T>], output y: NDArray<T>, needs: [Bool]
    ) -> [NDArray<T>?] {
        guard let a = try? Shape.resolveAxis(axis, rank: y.rank, scalarAllowed: true) else { return [nil] }
        let s = grad.sum(to: Shape.keeping(y.shape, axis: a))
        let p = NDArray.broadcast(y, s, to: y.shape) { .exp($0) * $1 }
        return [grad.zip(p) { $0 - $1 }]
    }
}

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

    /// The axis to normalise along, negatives from the end.
    public let axis: Int

    /// The op along `axis` (default the last).
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
        if let rows = SoftmaxRows(x[0].shape, axis: a) {
            return rows.map(x[0], x[0]) { x, _, y, c in SoftmaxRows.softmax(x, y, c) }
        }
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
        if let rows = SoftmaxRows(y.shape, axis: a), grad.shape == y.shape {
            return [rows.map(grad, y) { g, y, dx, c in SoftmaxRows.softmaxGradient(g, y, dx, c) }]
        }
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

/// Softmax over an axis whose elements are contiguous (the last axis, or one followed only
/// by axes of length 1): row by row, each row in one pass over memory that stays in L1,
/// where the general path makes five arrays of the input's size. The rows are split over
/// the computation's threads when there are many; a row's values never depend on the split.
struct SoftmaxRows {
    /// The rows and their length (the axis's).
    let rows: Int, c: Int

    /// Nil unless every axis after `axis` has length 1 (and the shape holds elements).
    init?(_ shape: [Int], axis: Int) {
        guard shape.isEmpty || shape[(axis + 1)...].allSatisfy({ $0 == 1 }) else { return nil }
        let count = shape.reduce(1, *)
        c = shape.isEmpty ? 1 : shape[axis]
        guard c > 0, count > 0 else { return nil }
        rows = count / c
    }

    /// An array of `a`'s shape whose row r is `body(a's row, b's row, out, c)`.
    @inline(__always)
    func map<T: Scalar>(
        _ a: NDArray<T>, _ b: NDArray<T>,
        _ body: (UnsafePointer<T>, UnsafePointer<T>, UnsafeMutablePointer<T>, Int) -> Void
    ) -> NDArray<T> {
        let (rows, c) = (rows, c)
        return a.data.withUnsafeBufferPointer { pa in
            b.data.withUnsafeBufferPointer { pb in
                NDArray(shape: a.shape) { out in
                    guard let pa = pa.baseAddress, let pb = pb.baseAddress, let po = out.baseAddress else { return }
                    let p = UncheckedSendable((pa, pb, po))
                    Parallel.forEachRange(rows, parallelFrom: Swift.max(2, Parallel.minimumElements / c), alignment: 1) {
                        first, end in
                        let (pa, pb, po) = p.value
                        for r in first..<end { body(pa + r * c, pb + r * c, po + r * c, c) }
                    }
                }
            }
        }
    }

    /// y = exp(x - max x) / Σ exp(x - max x) over one row: the general path's values (its
    /// maximum, NaN winning; its left-to-right sum), the exponentials branch-free, every
    /// argument being <= 0 (FastMath).
    @inline(__always)
    static func softmax<T: Scalar>(_ x: UnsafePointer<T>, _ y: UnsafeMutablePointer<T>, _ c: Int) {
        var m = -T.infinity
        for j in 0..<c where x[j] > m || x[j].isNaN { m = x[j] }
        for j in 0..<c { y[j] = T.expNonPositive(x[j] - m) }
        var s: T = 0
        for j in 0..<c { s += y[j] }
        for j in 0..<c { y[j] = y[j] / s }
    }

    /// dx = y (g - Σ g y) over one row, the sum left to right as the general path's.
    @inline(__always)
    static func softmaxGradient<T: Scalar>(
        _ g: UnsafePointer<T>, _ y: UnsafePointer<T>, _ dx: UnsafeMutablePointer<T>, _ c: Int
    ) {
        var s: T = 0
        for j in 0..<c { s += g[j] * y[j] }
        for j in 0..<c { dx[j] = (g[j] - s) * y[j] }
    }
}

/// `y = x @ W + b` with `W` of shape `[in, out]`: the seed engine's layout (and Keras's
/// `Dense`), not `torch.nn.functional.linear`'s `[out, in]`.
public struct LinearOp: Operator {
    public static let signature = OpSignature(
        name: "linear", arity: .range(2, 3), inputs: ["x", "W", "b"],
        summary: "x @ W + b with x [..., in], W [in, out], optional b [out] (or any shape broadcasting to the output)",
        pytorch: "torch.nn.functional.linear(x, W.T, b)",
        shapeRule: "x [..., in] with W [in, out] gives [..., out]; b must broadcast to it")

    /// The op; it has no attributes.
    public init() {}
    public init(attributes: Attributes) {}

    public func outputShape(_ inputs: [[Int]]) throws(OpError) -> [Int] {
        try LinearProduct.outputShape("linear", inputs, transposed: false)
    }

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func forward<T: Scalar>(_ x: [NDArray<T>]) -> NDArray<T> { LinearProduct.forward(x, transposed: false) }

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func vjp<T: Scalar>(
        _ grad: NDArray<T>, inputs x: [NDArray<T>], output: NDArray<T>, needs: [Bool]
    ) -> [NDArray<T>?] {
        LinearProduct.vjp(grad, x, needs: needs, transposed: false)
    }

    /// The sum over the rows of `[rows, cols]`, adding the rows in order: the order in which
    /// `NDArray.sum(to:)` adds them, so the result is the same bytes, but row by row over
    /// contiguous memory, which vectorises (the bias gradient of a training step; also
    /// `linear_transposed`'s).
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    static func columnSums<T: Scalar>(_ g: NDArray<T>) -> NDArray<T> {
        let rows = g.shape[0], cols = g.shape[1]
        var sums = [T](repeating: 0, count: cols)
        g.data.withUnsafeBufferPointer { src in
            sums.withUnsafeMutableBufferPointer { dst in
                guard let s = src.baseAddress, let d = dst.baseAddress else { return }
                for i in 0..<rows {
                    let row = s + i * cols
                    for j in 0..<cols { d[j] += row[j] }
                }
            }
        }
        return NDArray(shape: [cols], data: sums)
    }
}

/// The body `linear` ([in, out] weight, the seed engine's layout) and `linear_transposed`
/// ([out, in], torch's) share, over the flattened batch: with `transposed`, BLAS reads `W`
/// transposed (gemm's transB), so neither layout copies its weight.
enum LinearProduct {
    static func outputShape(_ name: String, _ inputs: [[Int]], transposed: Bool) throws(OpError) -> [Int] {
        let x = inputs[0], w = inputs[1]
        guard x.count >= 1 else { throw .shape("\(name): x must have at least one axis, got []") }
        guard w.count == 2 else {
            throw .shape("\(name): W must be 2-D \(transposed ? "[out, in]" : "[in, out]"), got \(Shape.describe(w))")
        }
        let (inFeatures, outFeatures) = transposed ? (w[1], w[0]) : (w[0], w[1])
        guard x[x.count - 1] == inFeatures else {
            throw .shape("\(name): x's last axis \(x[x.count - 1]) differs from W's in-features \(inFeatures)")
        }
        let out = Array(x.dropLast()) + [outFeatures]
        // b is usually [out]; like `x @ W + b` it may be anything that broadcasts to y.
        if inputs.count == 3 && Shape.broadcast(out, inputs[2]) != out {
            throw .shape("\(name): b of shape \(Shape.describe(inputs[2])) does not broadcast to the output \(Shape.describe(out))")
        }
        return out
    }

    @inline(__always)
    static func forward<T: Scalar>(_ x: [NDArray<T>], transposed: Bool) -> NDArray<T> {
        let cols = x[1].shape[transposed ? 0 : 1]
        let outShape = Array(x[0].shape.dropLast()) + [cols]
        // A bias of one row ([out], or [1, out]) goes into gemm's C; any other broadcast
        // shape is added after.
        if x.count == 3 && x[2].count == cols && x[2].shape.last == cols {
            return gemm(flatten(x[0]), x[1], transB: transposed, addend: x[2]).reshaped(outShape)
        }
        var y = gemm(flatten(x[0]), x[1], transB: transposed)
        if x.count == 3 { y = NDArray.broadcast(y, x[2], to: y.shape) { $0 + $1 } }
        return y.reshaped(outShape)
    }

    // dx = G Wᵀ and dW = xᵀ G for [in, out]; dx = G W and dW = Gᵀ x (already [out, in]) for
    // [out, in], both at once when gemmPair pairs them; db = G summed over the batch: here
    // for a bias of one row, by the engine's un-broadcasting for any other shape.
    @inline(__always)
    static func vjp<T: Scalar>(_ grad: NDArray<T>, _ x: [NDArray<T>], needs: [Bool], transposed: Bool) -> [NDArray<T>?] {
        var none: (NDArray<T>?, NDArray<T>?) = (nil, nil)
        return vjp(grad, x, needs: needs, transposed: transposed, adding: &none)
    }

    /// `vjp` with dx and dW added to `sums.0` and `sums.1` when given (and taken) by
    /// gemm's beta = 1 (`AccumulatingVJP`); db is never added to its sum.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    static func vjp<T: Scalar>(
        _ grad: NDArray<T>, _ x: [NDArray<T>], needs: [Bool], transposed: Bool,
        adding sums: inout (NDArray<T>?, NDArray<T>?)
    ) -> [NDArray<T>?] {
        let g = flatten(grad)
        // Made only when needed: flattening x is an array (W1 calls this per step).
        func dx() -> GEMMOperands<T> { GEMMOperands(g, x[1], transB: !transposed) }
        func dW() -> GEMMOperands<T> {
            transposed ? GEMMOperands(g, flatten(x[0]), transA: true) : GEMMOperands(flatten(x[0]), g, transA: true)
        }
        var result: [NDArray<T>?]
        if needs[0] && needs[1] {
            let (gx, gW) = gemmPair(dx(), dW(), adding: &sums)
            result = [gx.reshaped(x[0].shape), gW]
        } else {
            result = [
                needs[0] ? dx().product(adding: &sums.0).reshaped(x[0].shape) : nil,
                needs[1] ? dW().product(adding: &sums.1) : nil,
            ]
        }
        if x.count == 3 {
            let b = x[2], cols = g.shape[1]
            // One column is left to the engine, whose sum of a single column is blocked
            // differently for long batches; the bytes must not depend on this path.
            if needs[2] && cols > 1 && b.count == cols && b.shape.last == cols {
                result.append(LinearOp.columnSums(g).reshaped(b.shape))
            } else {
                result.append(needs[2] ? grad : nil)
            }
        }
        return result
    }

    /// `[..., n]` as `[batch, n]`.
    @inline(__always)
    static func flatten<T>(_ a: NDArray<T>) -> NDArray<T> {
        a.reshaped([a.shape.dropLast().reduce(1, *), a.shape[a.shape.count - 1]])
    }
}

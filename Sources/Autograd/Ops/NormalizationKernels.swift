// Kernels shared by layer_norm, rms_norm and group_norm: each normalises `rows` contiguous
// rows of `n` elements (layer_norm: the trailing normalized_shape; group_norm: one group of
// one sample, its channels being adjacent in NCHW) and then scales and shifts each element
// by a weight and bias that repeat every `period` rows (1 for layer_norm, num_groups for
// group_norm, whose weight and bias are expanded from per-channel to per-element first).

/// Per-row mean (0 when `center` is false) and `1 / sqrt(var + eps)`, where var is the
/// biased variance (the mean of squares when not centred, as rms_norm). Two passes per row,
/// which keeps float32 within torch's Welford results at the fixtures' tolerance.
@_specialize(where T == Float)
@_specialize(where T == Double)
func rowMoments<T: Scalar>(_ x: [T], rows: Int, n: Int, center: Bool, eps: T) -> (mean: [T], rstd: [T]) {
    var mean = [T](repeating: 0, count: rows), rstd = [T](repeating: 0, count: rows)
    guard n > 0 else {
        // torch: the statistics of an empty row are NaN (0/0).
        return ([T](repeating: .nan, count: rows), [T](repeating: .nan, count: rows))
    }
    let count = T(n)
    x.withUnsafeBufferPointer { xb in
        guard let xp = xb.baseAddress else { return }
        for r in 0..<rows {
            let row = xp + r * n
            var m: T = 0
            if center {
                var sum = BlockSum<T>()
                sum.add(UnsafeBufferPointer(start: row, count: n))
                m = sum.total / count
            }
            // Eight accumulators, combined as BlockSum's: one chain waited on every add.
            var a0: T = 0, a1: T = 0, a2: T = 0, a3: T = 0, a4: T = 0, a5: T = 0, a6: T = 0, a7: T = 0
            var j = 0
            while j + 8 <= n {
                let d0 = row[j] - m, d1 = row[j + 1] - m, d2 = row[j + 2] - m, d3 = row[j + 3] - m
                let d4 = row[j + 4] - m, d5 = row[j + 5] - m, d6 = row[j + 6] - m, d7 = row[j + 7] - m
                a0 += d0 * d0; a1 += d1 * d1; a2 += d2 * d2; a3 += d3 * d3
                a4 += d4 * d4; a5 += d5 * d5; a6 += d6 * d6; a7 += d7 * d7
                j += 8
            }
            var tail: T = 0
            while j < n {
                let d = row[j] - m
                tail += d * d
                j += 1
            }
            let v = ((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7)) + tail
            mean[r] = m
            rstd[r] = 1 / (v / count + eps).squareRoot()
        }
    }
    return (mean, rstd)
}

/// `y = (x − mean) · rstd · w + b` row by row; `weight` and `bias` hold `period · n` values,
/// row `r` using block `r % period` (nil: 1 and 0).
@_specialize(where T == Float)
@_specialize(where T == Double)
func normalizeRows<T: Scalar>(
    _ x: [T], mean: [T], rstd: [T], rows: Int, n: Int, weight: [T]?, bias: [T]?, period: Int
) -> [T] {
    var y = [T](repeating: 0, count: rows * n)
    guard n > 0 else { return y }
    x.withUnsafeBufferPointer { xb in
        y.withUnsafeMutableBufferPointer { yb in
            guard let xp = xb.baseAddress, let yp = yb.baseAddress else { return }
            for r in 0..<rows {
                let src = xp + r * n, dst = yp + r * n, m = mean[r], s = rstd[r]
                let block = (r % period) * n
                for j in 0..<n { dst[j] = (src[j] - m) * s }
                if let weight {
                    weight.withUnsafeBufferPointer { w in
                        for j in 0..<n { dst[j] *= w[block + j] }
                    }
                }
                if let bias {
                    bias.withUnsafeBufferPointer { b in
                        for j in 0..<n { dst[j] += b[block + j] }
                    }
                }
            }
        }
    }
    return y
}

/// The backward pass of `normalizeRows`: with x̂ = (x − mean)·rstd and ĝ = g·w,
/// `dx = rstd · (ĝ − mean(ĝ) − x̂ · mean(ĝ · x̂))` (without the `mean(ĝ)` term when not
/// centred), and the per-position sums of `g · x̂` and `g` over the rows of each block
/// (length `period · n`), from which the weight and bias gradients are folded.
@_specialize(where T == Float)
@_specialize(where T == Double)
func normalizeRowsBackward<T: Scalar>(
    _ g: [T], _ x: [T], mean: [T], rstd: [T], rows: Int, n: Int, center: Bool,
    weight: [T]?, period: Int, needX: Bool, needAffine: Bool
) -> (dx: [T]?, gxhat: [T]?, gsum: [T]?) {
    var dx = [T](repeating: 0, count: needX ? rows * n : 0)
    var gxhat = [T](repeating: 0, count: needAffine ? period * n : 0)
    var gsum = [T](repeating: 0, count: needAffine ? period * n : 0)
    // x̂ of the current row, then ĝ · x̂.
    var scratch = [T](repeating: 0, count: 2 * n)
    let ones = weight == nil ? [T](repeating: 1, count: period * n) : []
    let count = T(n)
    g.withUnsafeBufferPointer { gb in
        x.withUnsafeBufferPointer { xb in
            scratch.withUnsafeMutableBufferPointer { hb in
                (weight ?? ones).withUnsafeBufferPointer { wb in
                    dx.withUnsafeMutableBufferPointer { db in
                        gxhat.withUnsafeMutableBufferPointer { ab in
                            gsum.withUnsafeMutableBufferPointer { bb in
                                guard n > 0, let gp = gb.baseAddress, let xp = xb.baseAddress,
                                    let xhat = hb.baseAddress, let w = wb.baseAddress
                                else { return }
                                let gxrow = xhat + n
                                for r in 0..<rows {
                                    let gr = gp + r * n, xr = xp + r * n, m = mean[r], s = rstd[r]
                                    let wr = w + (r % period) * n
                                    for j in 0..<n { xhat[j] = (xr[j] - m) * s }
                                    if needAffine, let a = ab.baseAddress, let b = bb.baseAddress {
                                        let ar = a + (r % period) * n, br = b + (r % period) * n
                                        for j in 0..<n {
                                            ar[j] += gr[j] * xhat[j]
                                            br[j] += gr[j]
                                        }
                                    }
                                    guard needX, let d0 = db.baseAddress else { continue }
                                    // d holds ĝ = g·w, then dx.
                                    let d = d0 + r * n
                                    for j in 0..<n { d[j] = gr[j] * wr[j] }
                                    // Both sums in eight accumulators each (BlockSum's order).
                                    var sum = BlockSum<T>()
                                    sum.add(UnsafeBufferPointer(start: d, count: n))
                                    let sumG = sum.total
                                    for j in 0..<n { gxrow[j] = d[j] * xhat[j] }
                                    var sumX = BlockSum<T>()
                                    sumX.add(UnsafeBufferPointer(start: gxrow, count: n))
                                    let sumGX = sumX.total
                                    let meanG = center ? sumG / count : 0, meanGX = sumGX / count
                                    for j in 0..<n { d[j] = s * (d[j] - meanG - xhat[j] * meanGX) }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
    return (needX ? dx : nil, needAffine ? gxhat : nil, needAffine ? gsum : nil)
}

/// `normalized_shape` as an int or a list, required, with no negative dimension.
func normalizedShapeAttribute(_ attributes: Attributes) throws(OpError) -> [Int] {
    guard let shape = try attributes.axes("normalized_shape") else {
        throw .attribute(name: "normalized_shape", detail: "is required")
    }
    if let d = shape.first(where: { $0 < 0 }) {
        throw .attribute(name: "normalized_shape", detail: "dimension \(d) is negative")
    }
    return shape
}

/// Checks that `x` ends in `normalized` and that each affine input (index ≥ 1) has the
/// shape `normalized`; returns (rows, n).
func checkNormalizedShape(
    _ op: String, _ inputs: [[Int]], normalized: [Int], affineNames: [String]
) throws(OpError) -> (rows: Int, n: Int) {
    let x = inputs[0]
    guard x.count >= normalized.count, Array(x.suffix(normalized.count)) == normalized else {
        throw .attribute(
            name: "normalized_shape",
            detail: "\(Shape.describe(normalized)) is not the trailing shape of x \(Shape.describe(x))")
    }
    for i in 1..<inputs.count where inputs[i] != normalized {
        throw .input(
            index: i,
            detail: "\(op): \(affineNames[i - 1]) must have the shape normalized_shape \(Shape.describe(normalized)), got \(Shape.describe(inputs[i]))")
    }
    let n = normalized.reduce(1, &*)
    return (n == 0 ? 0 : x.dropLast(normalized.count).reduce(1, &*), n)
}

/// An op whose forward pass saves what its VJP needs (row statistics, attention
/// probabilities): the engine hands the saved arrays to `vjp(_:inputs:output:saved:needs:)`;
/// the plain `forward` and `vjp` (finite-difference checks, callers without the engine)
/// run the saving forward pass and use what it saved.
public protocol SavingOperator: Operator {}

extension SavingOperator {
    public static var savesForBackward: Bool { true }

    public func forward<T: Scalar>(_ x: [NDArray<T>]) -> NDArray<T> { forward(x, saving: []).0 }

    public func vjp<T: Scalar>(
        _ grad: NDArray<T>, inputs x: [NDArray<T>], output: NDArray<T>, needs: [Bool]
    ) -> [NDArray<T>?] {
        vjp(grad, inputs: x, output: output, saved: forward(x, saving: needs).1, needs: needs)
    }
}

/// `eps` of layer_norm, group_norm and batch_norm.
let varianceEpsAttribute = AttributeSpec("eps", .number, default: .number(1e-5), "added to the variance")

/// `normalized_shape` of layer_norm and rms_norm.
let normalizedShapeSpec = AttributeSpec(
    "normalized_shape", .intOrInts, default: nil, "the trailing shape of x to normalise over (required)")

/// Batch normalisation, as `F.batch_norm`, over x `[N, C, *]` per channel.
///
/// With 3 inputs (x, weight, bias) it normalises by the batch's statistics over N and the
/// positions (training; the biased variance, as torch normalises). With 5 (ONNX's order:
/// x, weight, bias, running_mean, running_var) it uses the given statistics (inference).
/// The running statistics' update belongs to the `BatchNorm` module, as in torch.
///
/// A hand VJP: per channel, `dx = w · rstd · (g − mean(g) − x̂ · mean(g · x̂))` in training
/// (two sums per channel, no temporaries); in inference x is only scaled and shifted, and
/// the running statistics get their gradients too (torch gives them none: they are buffers).
public struct BatchNormOp: Operator {
    public static let signature = OpSignature(
        name: "batch_norm", arity: .range(3, 5), inputs: ["x", "weight", "bias", "running_mean", "running_var"],
        attributes: [varianceEpsAttribute],
        summary: "batch normalisation of x [N, C, *] per channel: batch statistics with 3 inputs, the given running_mean and running_var with 5",
        pytorch: "torch.nn.functional.batch_norm(x, None, None, weight, bias, training=True, eps=eps) with 3 inputs; batch_norm(x, running_mean, running_var, weight, bias, training=False, eps=eps) with 5",
        shapeRule: "the shape of x [N, C, *]; weight, bias, running_mean and running_var [C]",
        notes: "training normalises by the biased batch variance and needs more than one value per channel; the op updates no running statistics (the BatchNorm module does); with 5 inputs running_mean and running_var get gradients too, which torch leaves out")

    /// Added to the variance (the batch's, or `running_var`) before the square root; default 1e-5,
    /// as torch.
    public let eps: Double

    /// The op as `F.batch_norm(..., eps=eps)`; the number of inputs picks batch (3) or running (5)
    /// statistics.
    public init(eps: Double = 1e-5) { self.eps = eps }

    public init(attributes: Attributes) throws(OpError) { self.init(eps: try attributes.number("eps")) }

    /// Samples, channels, positions per channel.
    private func layout(_ inputs: [[Int]]) throws(OpError) -> (n: Int, c: Int, spatial: Int) {
        let x = inputs[0]
        guard inputs.count != 4 else {
            throw .shape("batch_norm takes 3 inputs (batch statistics) or 5 (running_mean and running_var), got 4")
        }
        guard x.count >= 2 else { throw .shape("batch_norm: x must be [N, C, *], got \(Shape.describe(x))") }
        let c = x[1], spatial = x.dropFirst(2).reduce(1, &*)
        let names = ["weight", "bias", "running_mean", "running_var"]
        for i in 1..<inputs.count where inputs[i] != [c] {
            throw .input(index: i, detail: "batch_norm: \(names[i - 1]) must be [\(c)] for the \(c) channels of x, got \(Shape.describe(inputs[i]))")
        }
        if inputs.count == 3 && x[0] &* spatial == 1 {
            throw .shape("batch_norm: batch statistics need more than 1 value per channel, got x \(Shape.describe(x))")
        }
        return (x[0], c, spatial)
    }

    public func outputShape(_ inputs: [[Int]]) throws(OpError) -> [Int] {
        _ = try layout(inputs)
        return inputs[0]
    }

    /// Per channel: the mean and 1/sqrt(var + eps), from the batch or the running statistics.
    private func statistics<T: Scalar>(_ x: [NDArray<T>], n: Int, c: Int, spatial: Int) -> (mean: [T], rstd: [T]) {
        let e = T(eps)
        if x.count == 5 {
            return (x[3].data, x[4].data.map { 1 / ($0 + e).squareRoot() })
        }
        var mean = [T](repeating: 0, count: c), rstd = [T](repeating: 0, count: c)
        let count = T(n * spatial)
        x[0].data.withUnsafeBufferPointer { xb in
            guard let xp = xb.baseAddress else { return }
            for ch in 0..<c {
                var m: T = 0
                for s in 0..<n {
                    let p = xp + (s * c + ch) * spatial
                    for i in 0..<spatial { m += p[i] }
                }
                m /= count
                var v: T = 0
                for s in 0..<n {
                    let p = xp + (s * c + ch) * spatial
                    for i in 0..<spatial {
                        let d = p[i] - m
                        v += d * d
                    }
                }
                mean[ch] = m
                rstd[ch] = 1 / (v / count + e).squareRoot()
            }
        }
        return (mean, rstd)
    }

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func forward<T: Scalar>(_ x: [NDArray<T>]) -> NDArray<T> {
        guard let (n, c, spatial) = try? layout(x.map(\.shape)) else { return x[0] }
        let (mean, rstd) = statistics(x, n: n, c: c, spatial: spatial)
        var y = x[0].data
        y.withUnsafeMutableBufferPointer { yb in
            guard let yp = yb.baseAddress else { return }
            for s in 0..<n {
                for ch in 0..<c {
                    let p = yp + (s * c + ch) * spatial
                    let m = mean[ch], r = rstd[ch], w = x[1].data[ch], b = x[2].data[ch]
                    for i in 0..<spatial { p[i] = (p[i] - m) * r * w + b }
                }
            }
        }
        return NDArray(shape: x[0].shape, data: y)
    }

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func vjp<T: Scalar>(
        _ grad: NDArray<T>, inputs x: [NDArray<T>], output: NDArray<T>, needs: [Bool]
    ) -> [NDArray<T>?] {
        guard let (n, c, spatial) = try? layout(x.map(\.shape)) else { return needs.map { _ in nil } }
        let (mean, rstd) = statistics(x, n: n, c: c, spatial: spatial)
        let training = x.count == 3
        // Per channel: Σ g and Σ g·x̂.
        var sumG = [T](repeating: 0, count: c), sumGX = [T](repeating: 0, count: c)
        grad.data.withUnsafeBufferPointer { gb in
            x[0].data.withUnsafeBufferPointer { xb in
                guard let gp = gb.baseAddress, let xp = xb.baseAddress else { return }
                for s in 0..<n {
                    for ch in 0..<c {
                        let o = (s * c + ch) * spatial, m = mean[ch], r = rstd[ch]
                        var a: T = 0, b: T = 0
                        for i in 0..<spatial {
                            a += gp[o + i]
                            b += gp[o + i] * (xp[o + i] - m) * r
                        }
                        sumG[ch] += a
                        sumGX[ch] += b
                    }
                }
            }
        }
        var dx: NDArray<T>?
        if needs[0] {
            let count = T(n * spatial)
            var d = grad.data
            d.withUnsafeMutableBufferPointer { db in
                x[0].data.withUnsafeBufferPointer { xb in
                    guard let dp = db.baseAddress, let xp = xb.baseAddress else { return }
                    for s in 0..<n {
                        for ch in 0..<c {
                            let o = (s * c + ch) * spatial, m = mean[ch], r = rstd[ch]
                            let k = x[1].data[ch] * r
                            if training {
                                let mg = sumG[ch] / count, mgx = sumGX[ch] / count
                                for i in 0..<spatial { dp[o + i] = k * (dp[o + i] - mg - (xp[o + i] - m) * r * mgx) }
                            } else {
                                for i in 0..<spatial { dp[o + i] *= k }
                            }
                        }
                    }
                }
            }
            dx = NDArray(shape: x[0].shape, data: d)
        }
        var result: [NDArray<T>?] = [
            dx,
            needs[1] ? NDArray(shape: [c], data: sumGX) : nil,
            needs[2] ? NDArray(shape: [c], data: sumG) : nil,
        ]
        if !training {
            // y = (x − m)·r·w + b, r = (v + eps)^(−1/2): dy/dm = −r·w, dy/dv = −(x − m)·r³·w / 2.
            let w = x[1].data
            result.append(needs[3] ? NDArray(shape: [c], data: (0..<c).map { -sumG[$0] * rstd[$0] * w[$0] }) : nil)
            result.append(
                needs[4]
                    ? NDArray(shape: [c], data: (0..<c).map { -sumGX[$0] * rstd[$0] * rstd[$0] * w[$0] / 2 }) : nil)
        }
        return result
    }
}

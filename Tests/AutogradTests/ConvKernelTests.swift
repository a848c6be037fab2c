import Testing

@testable import Autograd

/// The per-sample convolution kernels (`ConvKernels`: im2col in a scratch buffer, one gemm
/// per group, col2im) against a direct six-loop convolution in float64, in both precisions,
/// over the geometries whose code paths differ: rows that are one contiguous run ("same"
/// padding at stride 1), a 1×1 kernel that reads the input itself, strides, dilations,
/// groups, padding wider than the kernel's reach, and an input narrower than its output.
@Suite struct ConvKernelTests {
    /// (x shape, weight shape, geometry settings: stride, padding, dilation, groups)
    static let cases: [(String, [Int], [Int], (sH: Int, sW: Int, pH: Int, pW: Int, dH: Int, dW: Int, groups: Int))] = [
        ("3x3 pad 1 (rows contiguous)", [3, 4, 9, 8], [5, 4, 3, 3], (1, 1, 1, 1, 1, 1, 1)),
        ("1x1 (reads x directly)", [2, 6, 5, 7], [4, 6, 1, 1], (1, 1, 0, 0, 1, 1, 1)),
        ("1x1 groups 2", [2, 6, 5, 7], [4, 3, 1, 1], (1, 1, 0, 0, 1, 1, 2)),
        ("stride 2, pad 1", [2, 3, 9, 10], [4, 3, 3, 3], (2, 2, 1, 1, 1, 1, 1)),
        ("stride (2, 1), dilation (1, 2), groups 2", [2, 4, 6, 7], [6, 2, 3, 2], (2, 1, 1, 1, 1, 2, 2)),
        ("5x5 pad 3 (wider than needed)", [1, 2, 4, 6], [3, 2, 5, 5], (1, 1, 3, 3, 1, 1, 1)),
        ("pad 2, dilation 2, stride 1 (rows contiguous)", [2, 3, 7, 7], [2, 3, 3, 3], (1, 1, 2, 2, 2, 2, 1)),
        ("conv1d-like height 1", [3, 2, 1, 11], [4, 2, 1, 3], (1, 1, 0, 1, 1, 1, 1)),
    ]

    static func geometry(_ x: [Int], _ w: [Int], _ s: (sH: Int, sW: Int, pH: Int, pW: Int, dH: Int, dW: Int, groups: Int)) -> ConvGeometry {
        let outH = (x[2] + 2 * s.pH - s.dH * (w[2] - 1) - 1) / s.sH + 1
        let outW = (x[3] + 2 * s.pW - s.dW * (w[3] - 1) - 1) / s.sW + 1
        return ConvGeometry(
            batch: x[0], inChannels: x[1], inH: x[2], inW: x[3], outChannels: w[0], outH: outH, outW: outW,
            kH: w[2], kW: w[3], strideH: s.sH, strideW: s.sW, padTop: s.pH, padLeft: s.pW,
            dilationH: s.dH, dilationW: s.dW, groups: s.groups)
    }

    /// y, dx, dw and db of a direct convolution in float64, for upstream gradient gy.
    static func direct(_ x: [Double], _ w: [Double], _ b: [Double], _ gy: [Double], _ g: ConvGeometry)
        -> (y: [Double], dx: [Double], dw: [Double], db: [Double])
    {
        let cg = g.inChannels / g.groups, og = g.outChannels / g.groups
        var y = [Double](repeating: 0, count: g.batch * g.outChannels * g.outArea)
        var dx = [Double](repeating: 0, count: x.count), dw = [Double](repeating: 0, count: w.count)
        var db = [Double](repeating: 0, count: g.outChannels)
        for n in 0..<g.batch {
            for o in 0..<g.outChannels {
                for oh in 0..<g.outH {
                    for ow in 0..<g.outW {
                        let yi = ((n * g.outChannels + o) * g.outH + oh) * g.outW + ow
                        var sum = b[o]
                        db[o] += gy[yi]
                        for c in 0..<cg {
                            let channel = (o / og) * cg + c
                            for i in 0..<g.kH {
                                for j in 0..<g.kW {
                                    let ih = oh * g.strideH - g.padTop + i * g.dilationH
                                    let iw = ow * g.strideW - g.padLeft + j * g.dilationW
                                    guard ih >= 0 && ih < g.inH && iw >= 0 && iw < g.inW else { continue }
                                    let xi = ((n * g.inChannels + channel) * g.inH + ih) * g.inW + iw
                                    let wi = ((o * cg + c) * g.kH + i) * g.kW + j
                                    sum += x[xi] * w[wi]
                                    dx[xi] += gy[yi] * w[wi]
                                    dw[wi] += gy[yi] * x[xi]
                                }
                            }
                        }
                        y[yi] = sum
                    }
                }
            }
        }
        return (y, dx, dw, db)
    }

    func check<T: Scalar>(_: T.Type, tolerance: Double) {
        for (name, xs, ws, settings) in Self.cases {
            let g = Self.geometry(xs, ws, settings)
            let x = randomArray(xs, seed: 1).data, w = randomArray(ws, seed: 2).data
            let b = randomArray([ws[0]], seed: 3).data
            let gy = randomArray([g.batch, g.outChannels, g.outH, g.outW], seed: 4).data
            let expected = Self.direct(x, w, b, gy, g)
            let cast = { (a: [Double]) in a.map { T($0) } }
            let y = ConvKernels.forward(cast(x), cast(w), g, bias: cast(b))
            let dx = ConvKernels.inputGradient(cast(gy), cast(w), g)
            let dw = ConvKernels.weightGradient(cast(x), cast(gy), g)
            let db = ConvKernels.channelSums(cast(gy), batch: g.batch, channels: g.outChannels, area: g.outArea)
            for (what, got, want) in [("y", y, expected.y), ("dx", dx, expected.dx), ("dw", dw, expected.dw), ("db", db, expected.db)] {
                #expect(got.count == want.count, "\(name) \(T.dtype) \(what): count")
                let bad = zip(got, want).enumerated().first { abs(Double($1.0) - $1.1) > tolerance * (1 + abs($1.1)) }
                #expect(bad == nil, "\(name) \(T.dtype) \(what): element \(bad?.offset ?? -1) is \(bad.map { "\($0.element.0)" } ?? ""), expected \(bad.map { "\($0.element.1)" } ?? "")")
            }
        }
    }

    @Test func float32MatchesADirectConvolution() { check(Float.self, tolerance: 1e-5) }
    @Test func float64MatchesADirectConvolution() { check(Double.self, tolerance: 1e-12) }

    /// The column matrix of the contiguous-run path equals the row-by-row one's: every
    /// entry that reads padding is 0, including those a run wraps over.
    @Test func contiguousRunsZeroThePadding() {
        let g = Self.geometry([1, 2, 5, 6], [1, 2, 3, 3], (1, 1, 1, 1, 1, 1, 1))
        #expect(g.isRowContiguous)
        let x = (0..<60).map { Float($0 + 1) }
        var cols = [Float](repeating: .nan, count: g.groupRows * g.outArea)
        x.withUnsafeBufferPointer { xp in cols.withUnsafeMutableBufferPointer { ConvKernels.im2col(xp.baseAddress!, g, into: $0.baseAddress!) } }
        for c in 0..<2 {
            for i in 0..<3 {
                for j in 0..<3 {
                    for oh in 0..<5 {
                        for ow in 0..<6 {
                            let ih = oh - 1 + i, iw = ow - 1 + j
                            let want: Float = ih >= 0 && ih < 5 && iw >= 0 && iw < 6 ? x[(c * 5 + ih) * 6 + iw] : 0
                            #expect(cols[((c * 3 + i) * 3 + j) * 30 + oh * 6 + ow] == want, "tap (\(c), \(i), \(j)) at (\(oh), \(ow))")
                        }
                    }
                }
            }
        }
    }
}

/// The sizes of one 2-D convolution `y = conv(x, w)`: x `[batch, inChannels, inH, inW]`,
/// w `[outChannels, inChannels / groups, kH, kW]`, y `[batch, outChannels, outH, outW]`.
/// Output position `(oh, ow)` reads input rows `oh * strideH - padTop + i * dilationH` and
/// columns `ow * strideW - padLeft + j * dilationW`; positions outside the input read 0.
/// conv1d is the case `inH == kH == 1`; conv_transpose2d runs the same geometry backwards.
struct ConvGeometry: Sendable, Equatable {
    var batch = 1, inChannels = 1, inH = 1, inW = 1
    var outChannels = 1, outH = 1, outW = 1
    var kH = 1, kW = 1
    var strideH = 1, strideW = 1, padTop = 0, padLeft = 0, dilationH = 1, dilationW = 1
    var groups = 1

    var inArea: Int { inH * inW }
    var outArea: Int { outH * outW }
    /// Rows of one group's column matrix: `inChannels / groups * kH * kW`.
    var groupRows: Int { inChannels / groups * kH * kW }
    /// Columns of the column matrix: one per output position of every sample.
    var columns: Int { batch * outArea }
    var isEmpty: Bool { batch == 0 || inChannels == 0 || outChannels == 0 || outArea == 0 }
}

/// Convolution as matrix products (im2col + gemm): the input is unfolded into a column
/// matrix `[inChannels * kH * kW, batch * outH * outW]` and each group's output is one BLAS
/// gemm over the whole batch, `W_g @ cols_g`. The products run in the output's
/// `[outChannels, batch * outArea]` order and are transposed to NCHW after. Every loop
/// outside BLAS writes disjoint planes, split over the thread budget by `Parallel`, and
/// adds in a fixed order, so results do not depend on the number of threads.
enum ConvKernels {
    /// `conv(x, w)` without bias: `[batch, outChannels, outH, outW]`.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    static func forward<T: Scalar>(_ x: [T], _ w: [T], _ g: ConvGeometry) -> [T] {
        forward(x, w, g, keepingColumns: false).0
    }

    /// `conv(x, w)` plus `bias` (one per output channel) if given, and x's column matrix
    /// when `keepingColumns` (for the weight gradient, which then need not unfold x again).
    /// The bias is added as the product is transposed to NCHW, in the same pass.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    static func forward<T: Scalar>(_ x: [T], _ w: [T], _ g: ConvGeometry, bias: [T]? = nil, keepingColumns: Bool) -> ([T], [T]?) {
        let n = g.batch * g.outChannels * g.outArea
        guard !g.isEmpty else {
            var y = [T](repeating: 0, count: n)
            if let bias { addBias(&y, bias, batch: g.batch, area: g.outArea) }
            return (y, nil)
        }
        let cols = im2col(x, g)
        var yT = uninitialized(T.self, g.outChannels * g.columns)
        let og = g.outChannels / g.groups, k = g.groupRows
        groupedGemm(
            g.groups, transA: false, transB: false, m: og, n: g.columns, k: k,
            a: w, aGroup: og * k, lda: k, b: cols, bGroup: k * g.columns, ldb: g.columns,
            c: &yT, cGroup: og * g.columns, ldc: g.columns)
        return (swapLeadingAxes(yT, g.outChannels, g.batch, g.outArea, adding: bias), keepingColumns ? cols : nil)
    }

    /// The gradient of `conv(x, w)` with respect to x, given `gy` of the output's shape:
    /// `cols = W_gᵀ @ gy_g` per group, folded back onto the input (col2im).
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    static func inputGradient<T: Scalar>(_ gy: [T], _ w: [T], _ g: ConvGeometry) -> [T] {
        guard !g.isEmpty else { return [T](repeating: 0, count: g.batch * g.inChannels * g.inArea) }
        let gT = swapLeadingAxes(gy, g.batch, g.outChannels, g.outArea)
        return inputGradient(transposed: gT, w, g)
    }

    /// `inputGradient` from `gy` already in `[outChannels, batch * outArea]` order.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    static func inputGradient<T: Scalar>(transposed gT: [T], _ w: [T], _ g: ConvGeometry) -> [T] {
        let og = g.outChannels / g.groups, k = g.groupRows
        var cols = uninitialized(T.self, g.groups * k * g.columns)
        groupedGemm(
            g.groups, transA: true, transB: false, m: k, n: g.columns, k: og,
            a: w, aGroup: og * k, lda: k, b: gT, bGroup: og * g.columns, ldb: g.columns,
            c: &cols, cGroup: k * g.columns, ldc: g.columns)
        return col2im(cols, g)
    }

    /// The gradient with respect to w: `gy_g @ cols_gᵀ` per group, one gemm over the batch;
    /// `columns` is x's column matrix if the forward pass kept it.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    static func weightGradient<T: Scalar>(_ x: [T], transposed gT: [T], _ g: ConvGeometry, columns: [T]? = nil) -> [T] {
        let og = g.outChannels / g.groups, k = g.groupRows
        guard !g.isEmpty else { return [T](repeating: 0, count: g.outChannels * k) }
        var dw = uninitialized(T.self, g.outChannels * k)
        let cols = columns ?? im2col(x, g)
        groupedGemm(
            g.groups, transA: false, transB: true, m: og, n: k, k: g.columns,
            a: gT, aGroup: og * g.columns, lda: g.columns, b: cols, bGroup: k * g.columns, ldb: g.columns,
            c: &dw, cGroup: og * k, ldc: k)
        return dw
    }

    /// An array for a product to overwrite: the zeros of `[T](repeating:count:)` would be
    /// written only to be overwritten.
    @inline(__always)
    static func uninitialized<T: Scalar>(_: T.Type, _ count: Int) -> [T] {
        [T](unsafeUninitializedCapacity: count) { _, n in n = count }
    }

    /// `C_g = op(A_g) @ op(B_g)` for each group `g`, the groups' blocks `aGroup`, `bGroup`
    /// and `cGroup` elements apart; every element of `c` is written.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    static func groupedGemm<T: Scalar>(
        _ groups: Int, transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
        a: [T], aGroup: Int, lda: Int, b: [T], bGroup: Int, ldb: Int,
        c: inout [T], cGroup: Int, ldc: Int
    ) {
        a.withUnsafeBufferPointer { ap in
            b.withUnsafeBufferPointer { bp in
                c.withUnsafeMutableBufferPointer { cp in
                    // An empty product is zeros (gemm is not called for it).
                    guard m > 0 && n > 0 && k > 0 else { return cp.update(repeating: 0) }
                    guard let a = ap.baseAddress, let b = bp.baseAddress, let c = cp.baseAddress else { return }
                    for grp in 0..<groups {
                        T.gemm(
                            transA: transA, transB: transB, m: m, n: n, k: k, alpha: 1,
                            a: a + grp * aGroup, lda: lda, b: b + grp * bGroup, ldb: ldb, beta: 0,
                            c: c + grp * cGroup, ldc: ldc)
                    }
                }
            }
        }
    }

    /// The sum of each row of `[rows, cols]` (the bias gradient from `gy` in
    /// `[outChannels, batch * outArea]` order) with eight interleaved accumulators, as
    /// `BlockSum` adds a block: one chain added left to right waits on every add (W6's
    /// 32×32768 took 1.4 ms on one core). Rows in parallel; each row's order is the same
    /// on any thread.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    static func rowSums<T: Scalar>(_ a: [T], rows: Int, cols: Int) -> [T] {
        var sums = [T](repeating: 0, count: rows)
        a.withUnsafeBufferPointer { src in
            sums.withUnsafeMutableBufferPointer { dst in
                guard let base = src.baseAddress, let out = dst.baseAddress else { return }
                let from = UncheckedSendable(base), to = UncheckedSendable(out)
                Parallel.forEachItem(rows, parallelFrom: rows * cols >= Parallel.minimumElements ? 2 : rows + 1) { r in
                    var sum = BlockSum<T>()
                    sum.add(UnsafeBufferPointer(start: from.value + r * cols, count: cols))
                    to.value[r] = sum.total
                }
            }
        }
        return sums
    }

    /// Adds `bias[c]` to every element of channel `c` of `[batch, channels, area]`.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    static func addBias<T: Scalar>(_ y: inout [T], _ bias: [T], batch: Int, area: Int) {
        let channels = bias.count
        bias.withUnsafeBufferPointer { b in
            y.withUnsafeMutableBufferPointer { yp in
                guard let base = yp.baseAddress else { return }
                let out = UncheckedSendable(base)
                Parallel.forEachItem(batch * channels, parallelFrom: 64) { item in
                    let v = b[item % channels], row = out.value + item * area
                    for i in 0..<area { row[i] += v }
                }
            }
        }
    }

    /// `[a, b, inner]` as `[b, a, inner]`, plus `bias[i]` on every element of `[i, ...]` if
    /// given (`bias.count == a`).
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    static func swapLeadingAxes<T: Scalar>(_ src: [T], _ a: Int, _ b: Int, _ inner: Int, adding bias: [T]? = nil) -> [T] {
        [T](unsafeUninitializedCapacity: src.count) { dst, count in
            src.withUnsafeBufferPointer { s in
                (bias ?? []).withUnsafeBufferPointer { bp in
                    guard let sp = s.baseAddress, let dp = dst.baseAddress else { return }
                    let from = UncheckedSendable(sp), to = UncheckedSendable(dp), shift = UncheckedSendable(bias == nil ? nil : bp.baseAddress)
                    Parallel.forEachItem(a * b, parallelFrom: 64) { item in
                        let i = item / b, j = item % b
                        let out = to.value + (j * a + i) * inner, row = from.value + item * inner
                        guard let v = shift.value?[i] else { return out.update(from: row, count: inner) }
                        for k in 0..<inner { out[k] = row[k] + v }
                    }
                }
            }
            count = src.count
        }
    }

    /// The column matrix `[inChannels * kH * kW, batch * outArea]` of x: row
    /// `(c * kH + i) * kW + j`, column `n * outArea + oh * outW + ow` holds the input
    /// element that kernel tap `(i, j)` of channel `c` meets at output `(n, oh, ow)`, or 0.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    static func im2col<T: Scalar>(_ x: [T], _ g: ConvGeometry) -> [T] {
        let count = g.inChannels * g.kH * g.kW * g.columns
        return [T](unsafeUninitializedCapacity: count) { buffer, initialized in
            x.withUnsafeBufferPointer { xp in
                guard let src = xp.baseAddress, let dst = buffer.baseAddress else { return }
                let from = UncheckedSendable(src), to = UncheckedSendable(dst)
                // One item per (channel, sample): its kH * kW rows' block of columns.
                Parallel.forEachItem(g.inChannels * g.batch, parallelFrom: 4) { item in
                    let c = item / g.batch, n = item % g.batch
                    let plane = from.value + (n * g.inChannels + c) * g.inArea
                    for i in 0..<g.kH {
                        for j in 0..<g.kW {
                            let row = (c * g.kH + i) * g.kW + j
                            let out = to.value + row * g.columns + n * g.outArea
                            let (lo, hi) = validRange(g.outW, stride: g.strideW, offset: j * g.dilationW - g.padLeft, size: g.inW)
                            for oh in 0..<g.outH {
                                let o = out + oh * g.outW
                                let ih = oh * g.strideH - g.padTop + i * g.dilationH
                                guard ih >= 0 && ih < g.inH && lo < hi else {
                                    o.update(repeating: 0, count: g.outW)
                                    continue
                                }
                                let line = plane + ih * g.inW + j * g.dilationW - g.padLeft
                                if lo > 0 { o.update(repeating: 0, count: lo) }
                                if g.strideW == 1 {
                                    (o + lo).update(from: line + lo, count: hi - lo)
                                } else {
                                    for ow in lo..<hi { o[ow] = line[ow * g.strideW] }
                                }
                                if hi < g.outW { (o + hi).update(repeating: 0, count: g.outW - hi) }
                            }
                        }
                    }
                }
            }
            initialized = count
        }
    }

    /// Folds a column matrix back onto `[batch, inChannels, inH, inW]`, adding every
    /// column's entry into the input element it was read from (im2col's adjoint).
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    static func col2im<T: Scalar>(_ cols: [T], _ g: ConvGeometry) -> [T] {
        var dx = [T](repeating: 0, count: g.batch * g.inChannels * g.inArea)
        cols.withUnsafeBufferPointer { cp in
            dx.withUnsafeMutableBufferPointer { dp in
                guard let src = cp.baseAddress, let dst = dp.baseAddress else { return }
                let from = UncheckedSendable(src), to = UncheckedSendable(dst)
                // One item per (sample, channel): it writes that input plane only.
                Parallel.forEachItem(g.batch * g.inChannels, parallelFrom: 4) { item in
                    let n = item / g.inChannels, c = item % g.inChannels
                    let plane = to.value + item * g.inArea
                    for i in 0..<g.kH {
                        for j in 0..<g.kW {
                            let row = (c * g.kH + i) * g.kW + j
                            let col = from.value + row * g.columns + n * g.outArea
                            let (lo, hi) = validRange(g.outW, stride: g.strideW, offset: j * g.dilationW - g.padLeft, size: g.inW)
                            guard lo < hi else { continue }
                            for oh in 0..<g.outH {
                                let ih = oh * g.strideH - g.padTop + i * g.dilationH
                                guard ih >= 0 && ih < g.inH else { continue }
                                let line = plane + ih * g.inW + j * g.dilationW - g.padLeft
                                let o = col + oh * g.outW
                                if g.strideW == 1 {
                                    for ow in lo..<hi { line[ow] += o[ow] }
                                } else {
                                    for ow in lo..<hi { line[ow * g.strideW] += o[ow] }
                                }
                            }
                        }
                    }
                }
            }
        }
        return dx
    }

    /// The outputs `lo..<hi` of `0..<outputs` whose input index `o * stride + offset` lies
    /// in `0..<size`.
    @inline(__always)
    static func validRange(_ outputs: Int, stride: Int, offset: Int, size: Int) -> (Int, Int) {
        // o >= ceil(-offset / stride) and o <= floor((size - 1 - offset) / stride).
        let lo = offset >= 0 ? 0 : (-offset + stride - 1) / stride
        let last = size - 1 - offset
        let hi = last < 0 ? 0 : Swift.min(outputs, last / stride + 1)
        return (Swift.min(lo, hi), hi)
    }
}

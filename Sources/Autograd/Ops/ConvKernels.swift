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
    /// Stride 1 and rows as long in x as in y (padding that keeps the width, e.g. "same"):
    /// a kernel tap's rows are one contiguous run in x, as in its column-matrix row.
    var isRowContiguous: Bool { strideH == 1 && strideW == 1 && inW == outW }
    /// A 1×1 kernel at stride 1 without padding: a sample's column matrix is its input.
    var readsInputDirectly: Bool {
        kH == 1 && kW == 1 && strideH == 1 && strideW == 1 && padTop == 0 && padLeft == 0 && outArea == inArea
    }
}

/// A thread's scratch buffer, freed when the thread's share of a loop ends.
final class Scratch<T> {
    let pointer: UnsafeMutablePointer<T>
    init(_ count: Int) { pointer = .allocate(capacity: Swift.max(1, count)) }
    deinit { pointer.deallocate() }
}

/// Convolution as matrix products, one sample at a time: each sample's input is unfolded
/// into a column matrix `[inChannels * kH * kW, outH * outW]` (im2col) in a scratch buffer
/// that stays in cache, and each group's output is one gemm `W_g @ cols_g` written
/// straight into the sample's NCHW planes. A 1×1 kernel at stride 1 without padding reads
/// the input itself. Samples run at once on the computation's threads when the products
/// keep to the calling thread (float32 on oneDNN: `Scalar.gemmRunsOnCallingThread`), one
/// after another otherwise, each product then on the library's own threads.
///
/// Whole-batch im2col (a `[rows, batch * area]` matrix, 9.4 MB at W6's second layer) wrote
/// and read every column matrix through memory, transposed every output and upstream
/// gradient between `[outChannels, batch, area]` and NCHW, and folded the input gradient's
/// columns back from memory; per sample, all of that happens in cache (docs/performance.md).
///
/// Determinism: every element of the output and of the input gradient comes from its own
/// sample's products, computed the same way on any thread. The weight gradient adds the
/// samples' products in fixed chunks of consecutive samples (`weightGradientChunks`, a
/// function of the batch and the machine's core count), each chunk in sample order, then
/// the chunks in order.
enum ConvKernels {
    /// `conv(x, w)`, plus `bias` (one per output channel) if given: `[batch, outChannels,
    /// outH, outW]`.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    static func forward<T: Scalar>(_ x: [T], _ w: [T], _ g: ConvGeometry, bias: [T]? = nil) -> [T] {
        let count = g.batch * g.outChannels * g.outArea
        guard !g.isEmpty else {
            var y = [T](repeating: 0, count: count)
            if let bias { addBias(&y, bias, batch: g.batch, area: g.outArea) }
            return y
        }
        let og = g.outChannels / g.groups, k = g.groupRows, area = g.outArea
        let direct = g.readsInputDirectly
        var y = uninitialized(T.self, count)
        x.withUnsafeBufferPointer { xp in
            w.withUnsafeBufferPointer { wp in
                (bias ?? []).withUnsafeBufferPointer { bp in
                    y.withUnsafeMutableBufferPointer { yp in
                        guard let xb = xp.baseAddress, let wb = wp.baseAddress, let yb = yp.baseAddress else { return }
                        let (src, weights, out) = (UncheckedSendable(xb), UncheckedSendable(wb), UncheckedSendable(yb))
                        let shift = UncheckedSendable(bias == nil ? nil : bp.baseAddress)
                        forEachSample(g, scratch: direct ? 0 : g.groups * k * area) { scratch, n in
                            let sample = src.value + n * g.inChannels * g.inArea
                            let cols: UnsafePointer<T>
                            if direct {
                                cols = sample
                            } else {
                                im2col(sample, g, into: scratch)
                                cols = UnsafePointer(scratch)
                            }
                            let planes = out.value + n * g.outChannels * area
                            for grp in 0..<g.groups {
                                T.gemmOnCallingThread(
                                    transA: false, transB: false, m: og, n: area, k: k, alpha: 1,
                                    a: weights.value + grp * og * k, lda: k, b: cols + grp * k * area, ldb: area,
                                    beta: 0, c: planes + grp * og * area, ldc: area)
                            }
                            if let b = shift.value {
                                for c in 0..<g.outChannels {
                                    let row = planes + c * area, v = b[c]
                                    for i in 0..<area { row[i] += v }
                                }
                            }
                        }
                    }
                }
            }
        }
        return y
    }

    /// The gradient of `conv(x, w)` with respect to x, given `gy` of the output's shape:
    /// per sample, `cols = W_gᵀ @ gy_g` per group, folded back onto the input (col2im).
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    static func inputGradient<T: Scalar>(_ gy: [T], _ w: [T], _ g: ConvGeometry) -> [T] {
        let count = g.batch * g.inChannels * g.inArea
        guard !g.isEmpty else { return [T](repeating: 0, count: count) }
        let og = g.outChannels / g.groups, k = g.groupRows, area = g.outArea
        let direct = g.readsInputDirectly
        var dx = uninitialized(T.self, count)
        gy.withUnsafeBufferPointer { gp in
            w.withUnsafeBufferPointer { wp in
                dx.withUnsafeMutableBufferPointer { dp in
                    guard let gb = gp.baseAddress, let wb = wp.baseAddress, let db = dp.baseAddress else { return }
                    let (upstream, weights, out) = (UncheckedSendable(gb), UncheckedSendable(wb), UncheckedSendable(db))
                    forEachSample(g, scratch: direct ? 0 : g.groups * k * area) { scratch, n in
                        let planes = out.value + n * g.inChannels * g.inArea
                        // A direct convolution's column matrix is the input: its gradient is too.
                        let cols = direct ? planes : scratch
                        let gyn = upstream.value + n * g.outChannels * area
                        for grp in 0..<g.groups {
                            T.gemmOnCallingThread(
                                transA: true, transB: false, m: k, n: area, k: og, alpha: 1,
                                a: weights.value + grp * og * k, lda: k, b: gyn + grp * og * area, ldb: area,
                                beta: 0, c: cols + grp * k * area, ldc: area)
                        }
                        if !direct { col2im(scratch, g, into: planes) }
                    }
                }
            }
        }
        return dx
    }

    /// Consecutive-sample chunks the weight gradient adds separately (then in order): one
    /// per core when the products run on the calling thread, else one.
    static func weightGradientChunks<T: Scalar>(_: T.Type, batch: Int) -> Int {
        T.gemmRunsOnCallingThread ? Swift.max(1, Swift.min(batch, Parallel.cores)) : 1
    }

    /// The gradient with respect to w, `Σ_n gy_n,g @ cols_n,gᵀ` per group, given x and `gy`
    /// of the output's shape; samples added in `weightGradientChunks` chunks.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    static func weightGradient<T: Scalar>(_ x: [T], _ gy: [T], _ g: ConvGeometry) -> [T] {
        let og = g.outChannels / g.groups, k = g.groupRows, area = g.outArea
        let size = g.outChannels * k
        guard !g.isEmpty else { return [T](repeating: 0, count: size) }
        let direct = g.readsInputDirectly
        let chunks = weightGradientChunks(T.self, batch: g.batch)
        // Chunk 0 sums into the answer, the others into `partials`, added after.
        var dw = uninitialized(T.self, size)
        var partials = uninitialized(T.self, (chunks - 1) * size)
        x.withUnsafeBufferPointer { xp in
            gy.withUnsafeBufferPointer { gp in
                dw.withUnsafeMutableBufferPointer { dp in
                    partials.withUnsafeMutableBufferPointer { pp in
                        guard let xb = xp.baseAddress, let gb = gp.baseAddress, let db = dp.baseAddress else { return }
                        let (src, upstream) = (UncheckedSendable(xb), UncheckedSendable(gb))
                        let (first, rest) = (UncheckedSendable(db), UncheckedSendable(pp.baseAddress))
                        let scratch = direct ? 0 : g.groups * k * area
                        Parallel.forEachItem(chunks, parallelFrom: 2, workerState: { Scratch<T>(scratch) }) { buffer, chunk in
                            guard let target = chunk == 0 ? first.value : rest.value.map({ $0 + (chunk - 1) * size }) else { return }
                            for n in (g.batch * chunk / chunks)..<(g.batch * (chunk + 1) / chunks) {
                                let sample = src.value + n * g.inChannels * g.inArea
                                let cols: UnsafePointer<T>
                                if direct {
                                    cols = sample
                                } else {
                                    im2col(sample, g, into: buffer.pointer)
                                    cols = UnsafePointer(buffer.pointer)
                                }
                                let gyn = upstream.value + n * g.outChannels * area
                                let beta: T = n == g.batch * chunk / chunks ? 0 : 1
                                for grp in 0..<g.groups {
                                    T.gemmOnCallingThread(
                                        transA: false, transB: true, m: og, n: k, k: area, alpha: 1,
                                        a: gyn + grp * og * area, lda: area, b: cols + grp * k * area, ldb: area,
                                        beta: beta, c: target + grp * og * k, ldc: k)
                                }
                            }
                        }
                        guard let more = rest.value else { return }
                        for chunk in 1..<chunks {
                            let part = more + (chunk - 1) * size
                            for i in 0..<size { first.value[i] += part[i] }
                        }
                    }
                }
            }
        }
        return dw
    }

    /// The bias gradient: `gy` `[batch, channels, area]` summed over all but the channel
    /// axis. Each plane is summed with eight interleaved accumulators (`BlockSum`: one
    /// chain added left to right waits on every add), the planes' sums in sample order;
    /// channels in parallel.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    static func channelSums<T: Scalar>(_ gy: [T], batch: Int, channels: Int, area: Int) -> [T] {
        var sums = [T](repeating: 0, count: channels)
        gy.withUnsafeBufferPointer { src in
            sums.withUnsafeMutableBufferPointer { dst in
                guard let base = src.baseAddress, let out = dst.baseAddress else { return }
                let from = UncheckedSendable(base), to = UncheckedSendable(out)
                Parallel.forEachItem(channels, parallelFrom: batch * channels * area >= Parallel.minimumElements ? 2 : channels + 1) { c in
                    var total: T = 0
                    for n in 0..<batch {
                        var sum = BlockSum<T>()
                        sum.add(UnsafeBufferPointer(start: from.value + (n * channels + c) * area, count: area))
                        total += sum.total
                    }
                    to.value[c] = total
                }
            }
        }
        return sums
    }

    /// Runs `body(scratch, n)` for every sample `n` with a scratch buffer of `scratch`
    /// elements per thread: samples at once when the products keep to the calling thread.
    @inline(__always)
    static func forEachSample<T: Scalar>(
        _ g: ConvGeometry, scratch: Int, _ body: (UnsafeMutablePointer<T>, Int) -> Void
    ) {
        Parallel.forEachItem(
            g.batch, parallelFrom: T.gemmRunsOnCallingThread ? 2 : g.batch + 1,
            workerState: { Scratch<T>(scratch) }
        ) { buffer, n in body(buffer.pointer, n) }
    }

    /// An array for a product to overwrite: the zeros of `[T](repeating:count:)` would be
    /// written only to be overwritten.
    @inline(__always)
    static func uninitialized<T: Scalar>(_: T.Type, _ count: Int) -> [T] {
        [T](unsafeUninitializedCapacity: count) { _, n in n = count }
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

    /// Calls `body` for every kernel tap `(i, j)` of every input channel `c`: its row
    /// `(c * kH + i) * kW + j` of the column matrix, the outputs whose input lies inside x
    /// (columns `cols`, rows `rows`; either may be empty), and the offset in the sample of
    /// the input that output (0, 0) meets (outside the sample when it is padding), from
    /// which output `(oh, ow)` reads `origin + oh * strideH * inW + ow * strideW`.
    @inline(__always)
    static func forEachTap(
        _ g: ConvGeometry, _ body: (_ row: Int, _ cols: Range<Int>, _ rows: Range<Int>, _ origin: Int) -> Void
    ) {
        for c in 0..<g.inChannels {
            for i in 0..<g.kH {
                let (top, bottom) = validRange(g.outH, stride: g.strideH, offset: i * g.dilationH - g.padTop, size: g.inH)
                for j in 0..<g.kW {
                    let (lo, hi) = validRange(g.outW, stride: g.strideW, offset: j * g.dilationW - g.padLeft, size: g.inW)
                    let origin = c * g.inArea + (i * g.dilationH - g.padTop) * g.inW + j * g.dilationW - g.padLeft
                    body((c * g.kH + i) * g.kW + j, lo..<hi, top..<bottom, origin)
                }
            }
        }
    }

    /// Zeros the entries of output rows `rows` (each `g.outW` long, from `out`) outside
    /// columns `cols`: the padding a row-contiguous run copies or folds across.
    @inline(__always)
    static func zeroOutside<T: Scalar>(_ out: UnsafeMutablePointer<T>, _ g: ConvGeometry, cols: Range<Int>, rows: Range<Int>) {
        for oh in rows {
            let o = out + oh * g.outW
            for ow in 0..<cols.lowerBound { o[ow] = 0 }
            for ow in cols.upperBound..<g.outW { o[ow] = 0 }
        }
    }

    /// Sample `x`'s column matrix `[inChannels * kH * kW, outArea]` into `cols`: row
    /// `(c * kH + i) * kW + j`, column `oh * outW + ow` holds the input element that
    /// kernel tap `(i, j)` of channel `c` meets at output `(oh, ow)`, or 0.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    static func im2col<T: Scalar>(_ x: UnsafePointer<T>, _ g: ConvGeometry, into cols: UnsafeMutablePointer<T>) {
        forEachTap(g) { row, valid, rows, origin in
            let out = cols + row * g.outArea, line = x + origin
            guard !valid.isEmpty && !rows.isEmpty else {
                out.update(repeating: 0, count: g.outArea)
                return
            }
            let (lo, hi, top, bottom) = (valid.lowerBound, valid.upperBound, rows.lowerBound, rows.upperBound)
            out.update(repeating: 0, count: top * g.outW)
            if g.isRowContiguous {
                // The tap's rows follow each other in x as in the column matrix: one copy
                // from the first row's first valid element to the last row's last, then
                // zeros where a row wrapped into its neighbour.
                (out + top * g.outW + lo).update(from: line + top * g.inW + lo, count: (bottom - top - 1) * g.outW + hi - lo)
                zeroOutside(out, g, cols: valid, rows: rows)
            } else {
                for oh in rows {
                    let o = out + oh * g.outW, source = line + oh * g.strideH * g.inW
                    for ow in 0..<lo { o[ow] = 0 }
                    for ow in valid { o[ow] = source[ow * g.strideW] }
                    for ow in hi..<g.outW { o[ow] = 0 }
                }
            }
            (out + bottom * g.outW).update(repeating: 0, count: (g.outH - bottom) * g.outW)
        }
    }

    /// Folds sample column matrix `cols` back onto the sample's `[inChannels, inH, inW]`
    /// gradient `dx` (overwritten), adding every column's entry into the input element it
    /// was read from (im2col's adjoint). Entries that read padding are zeroed in `cols`
    /// on the way (they have nowhere to go).
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    static func col2im<T: Scalar>(_ cols: UnsafeMutablePointer<T>, _ g: ConvGeometry, into dx: UnsafeMutablePointer<T>) {
        dx.update(repeating: 0, count: g.inChannels * g.inArea)
        forEachTap(g) { row, valid, rows, origin in
            guard !valid.isEmpty && !rows.isEmpty else { return }
            let col = cols + row * g.outArea, line = dx + origin
            let (lo, top, bottom) = (valid.lowerBound, rows.lowerBound, rows.upperBound)
            if g.isRowContiguous {
                // As im2col: one run of adds over the tap's rows, the entries that would
                // wrap into a neighbouring row zeroed first.
                zeroOutside(col, g, cols: valid, rows: rows)
                let from = col + top * g.outW + lo, to = line + top * g.inW + lo
                for t in 0..<((bottom - top - 1) * g.outW + valid.upperBound - lo) { to[t] += from[t] }
            } else {
                for oh in rows {
                    let o = col + oh * g.outW, target = line + oh * g.strideH * g.inW
                    for ow in valid { target[ow * g.strideW] += o[ow] }
                }
            }
        }
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

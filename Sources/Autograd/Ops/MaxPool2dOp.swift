/// 2-D max pooling, as `torch.nn.functional.max_pool2d`: padding is -infinity, a NaN in a
/// window wins it, and the gradient goes to the window's first maximum (row-major), as
/// torch's index-based backward does.
public struct MaxPool2dOp: Operator {
    public static let signature = OpSignature(
        name: "max_pool2d", arity: .exactly(1), inputs: ["x"],
        attributes: [
            Pooling.kernelAttribute, Pooling.strideAttribute, Pooling.paddingAttribute,
            AttributeSpec("dilation", .intOrInts, default: .int(1), "spacing between window elements"),
            Pooling.ceilAttribute,
        ],
        summary: "maximum over kernel_size windows of x [N, C, H, W]; the gradient goes to each window's first maximum",
        pytorch: "torch.nn.functional.max_pool2d(x, kernel_size, stride, padding, dilation, ceil_mode)",
        shapeRule: Pooling.shapeRule,
        notes: "padding is -infinity and at most half the kernel; a NaN wins its window (the last one, as torch); the gradient goes to the window's first maximum")

    let pooling: Pooling

    /// Max pooling; throws for a non-positive kernel, stride or dilation, or padding over
    /// half the kernel. `stride` nil means the kernel size.
    public init(kernelSize: [Int], stride: [Int]? = nil, padding: [Int] = [0], dilation: [Int] = [1], ceilMode: Bool = false) throws(OpError) {
        pooling = try Pooling(kernel: kernelSize, stride: stride, padding: padding, dilation: dilation, ceilMode: ceilMode)
    }

    public init(attributes: Attributes) throws(OpError) {
        pooling = try Pooling(attributes: attributes)
    }

    public func outputShape(_ inputs: [[Int]]) throws(OpError) -> [Int] {
        try pooling.outputShape(inputs[0], name: Self.signature.name)
    }

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func forward<T: Scalar>(_ x: [NDArray<T>]) -> NDArray<T> {
        forward(x, saving: [false]).0
    }

    /// The forward pass keeps each window's argmax for the backward pass.
    public static var savesForBackward: Bool { true }

    /// The output, and, when x needs a gradient, each output's argmax as its index in its
    /// plane: exact in either precision for planes of up to 2^24 elements; larger planes
    /// keep nothing and the backward pass finds the argmaxes again.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func forward<T: Scalar>(_ x: [NDArray<T>], saving needs: [Bool]) -> (NDArray<T>, [NDArray<T>?]) {
        guard let g = try? pooling.geometry(x[0].shape, name: ""), let shape = try? outputShape([x[0].shape]) else { return (x[0], []) }
        let w = Windows(pooling, g)
        let keep = needs.first == true && g.inArea <= 1 << 24
        let n = g.planes * g.outArea
        // Every element of both is written below.
        var indices = ConvKernels.uninitialized(T.self, keep ? n : 0)
        var y = ConvKernels.uninitialized(T.self, n)
        x[0].data.withUnsafeBufferPointer { xs in
            y.withUnsafeMutableBufferPointer { ys in
                indices.withUnsafeMutableBufferPointer { ks in
                    guard let xp = xs.baseAddress, let yp = ys.baseAddress else { return }
                    let src = UncheckedSendable(xp), dst = UncheckedSendable(yp), kept = UncheckedSendable(keep ? ks.baseAddress : nil)
                    Parallel.forEachItem(g.planes, parallelFrom: 8) { p in
                        let plane = src.value + p * g.inArea, out = dst.value + p * g.outArea
                        let index = kept.value.map { $0 + p * g.outArea }
                        if w.isPlain2x2(g) {
                            for oh in 0..<g.outH {
                                let o0 = oh * g.outW
                                let done = Windows.row2x2(plane, 2 * oh * g.inW, inW: g.inW, out + o0, index.map { $0 + o0 }, g.outW)
                                for ow in done..<g.outW {
                                    let o = o0 + ow, i = w.argmax2x2(plane, 2 * (oh * g.inW + ow))
                                    out[o] = plane[i]
                                    index?[o] = Windows.scalar(i)
                                }
                            }
                            return
                        }
                        for oh in 0..<g.outH {
                            let rows = w.rows(oh)
                            for ow in 0..<g.outW {
                                let o = oh * g.outW + ow, i = w.argmax(plane, rows, ow)
                                out[o] = i >= 0 ? plane[i] : -T.infinity
                                index?[o] = Windows.scalar(i)
                            }
                        }
                    }
                }
            }
        }
        return (NDArray(shape: shape, data: y), keep ? [NDArray(shape: shape, data: indices)] : [])
    }

    public func vjp<T: Scalar>(
        _ grad: NDArray<T>, inputs x: [NDArray<T>], output: NDArray<T>, needs: [Bool]
    ) -> [NDArray<T>?] {
        vjp(grad, inputs: x, output: output, saved: [], needs: needs)
    }

    // Each output's gradient goes to its window's argmax: kept by the forward pass, or
    // found again from x.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func vjp<T: Scalar>(
        _ grad: NDArray<T>, inputs x: [NDArray<T>], output: NDArray<T>, saved: [NDArray<T>?], needs: [Bool]
    ) -> [NDArray<T>?] {
        guard let g = try? pooling.geometry(x[0].shape, name: "") else { return [nil] }
        let w = Windows(pooling, g)
        let kept = saved.first.flatMap { $0?.data } ?? []
        var dx = [T](repeating: 0, count: x[0].count)
        x[0].data.withUnsafeBufferPointer { xs in
            grad.data.withUnsafeBufferPointer { gs in
                dx.withUnsafeMutableBufferPointer { ds in
                    kept.withUnsafeBufferPointer { ks in
                        guard let xp = xs.baseAddress, let gp = gs.baseAddress, let dp = ds.baseAddress else { return }
                        let src = UncheckedSendable(xp), grads = UncheckedSendable(gp), dst = UncheckedSendable(dp)
                        let argmaxes = UncheckedSendable(ks.count == grad.count ? ks.baseAddress : nil)
                        Parallel.forEachItem(g.planes, parallelFrom: 8) { p in
                            let plane = src.value + p * g.inArea, d = dst.value + p * g.inArea
                            let gy = grads.value + p * g.outArea
                            if let k = argmaxes.value.map({ $0 + p * g.outArea }) {
                                for o in 0..<g.outArea where k[o] >= 0 { d[Windows.index(k[o])] += gy[o] }
                                return
                            }
                            for oh in 0..<g.outH {
                                let rows = w.rows(oh)
                                for ow in 0..<g.outW {
                                    let i = w.argmax(plane, rows, ow)
                                    if i >= 0 { d[i] += gy[oh * g.outW + ow] }
                                }
                            }
                        }
                    }
                }
            }
        }
        return [NDArray(shape: x[0].shape, data: dx)]
    }
}

/// The pooling windows of one plane, as plain integers for the inner loops (also used by
/// the double backward, Higher/Pooling+Differentiable.swift).
struct Windows {
    let kH: Int, kW: Int, sH: Int, sW: Int, pH: Int, pW: Int, dH: Int, dW: Int, inH: Int, inW: Int

    init(_ p: Pooling, _ g: PoolGeometry) {
        (kH, kW, sH, sW) = (p.kernel[0], p.kernel[1], p.stride[0], p.stride[1])
        (pH, pW, dH, dW, inH, inW) = (p.padding[0], p.padding[1], p.dilation[0], p.dilation[1], g.inH, g.inW)
    }

    /// The taps `i` of output row `oh` that fall inside the input, and the row the first
    /// tap reads: `(first row, lo, hi)`.
    @inline(__always)
    func rows(_ oh: Int) -> (Int, Int, Int) {
        let h0 = oh * sH - pH
        let (lo, hi) = Self.inside(h0, kernel: kH, dilation: dH, size: inH)
        return (h0, lo, hi)
    }

    /// The taps `lo..<hi` of a window starting at `start` whose positions
    /// `start + tap * dilation` lie in `0..<size`.
    @inline(__always)
    static func inside(_ start: Int, kernel: Int, dilation: Int, size: Int) -> (Int, Int) {
        if dilation == 1 { return (Swift.max(0, -start), Swift.max(0, Swift.min(kernel, size - start))) }
        let lo = start >= 0 ? 0 : (-start + dilation - 1) / dilation
        let hi = start >= size ? 0 : Swift.min(kernel, (size - 1 - start) / dilation + 1)
        return (lo, hi)
    }

    /// `i` as a scalar, and back: the concrete conversions (one instruction each) for the
    /// engine's two precisions; the generic ones cost a call per element.
    @inline(__always)
    static func scalar<T: Scalar>(_ i: Int) -> T {
        if T.self == Float.self { return unsafeBitCast(Float(i), to: T.self) }
        if T.self == Double.self { return unsafeBitCast(Double(i), to: T.self) }
        return T(i)
    }

    @inline(__always)
    static func index<T: Scalar>(_ v: T) -> Int {
        if T.self == Float.self { return Int(unsafeBitCast(v, to: Float.self)) }
        if T.self == Double.self { return Int(unsafeBitCast(v, to: Double.self)) }
        return Int(v)
    }

    /// Whether every window is a 2x2 block inside the input at stride 2 (the common
    /// `kernel_size=2`): no window then needs clipping, and `argmax2x2` finds each.
    func isPlain2x2(_ g: PoolGeometry) -> Bool {
        kH == 2 && kW == 2 && sH == 2 && sW == 2 && pH == 0 && pW == 0 && dH == 1 && dW == 1
            && 2 * g.outH <= inH && 2 * g.outW <= inW
    }

    /// The first maximum (row-major; a NaN wins) of the 2x2 window whose top left is
    /// `plane[k]`, unrolled.
    @inline(__always)
    func argmax2x2<T: Scalar>(_ plane: UnsafePointer<T>, _ k: Int) -> Int {
        var best = k, m = plane[k]
        @inline(__always) func visit(_ i: Int) {
            let v = plane[i]
            let wins = v > m || v != v
            m = wins ? v : m
            best = wins ? i : best
        }
        visit(k + 1)
        visit(k + inW)
        visit(k + inW + 1)
        return best
    }

    /// Output row `out` of a plain 2x2 pooling whose windows' top row starts at
    /// `plane[top]`, eight windows at a time for Float (argmax2x2's rule lane by lane, the
    /// indices as exact floats); returns how many outputs it wrote (0 for Double).
    @inline(__always)
    static func row2x2<T: Scalar>(
        _ plane: UnsafePointer<T>, _ top: Int, inW: Int, _ out: UnsafeMutablePointer<T>,
        _ index: UnsafeMutablePointer<T>?, _ outW: Int
    ) -> Int {
        guard T.self == Float.self, outW >= 8 else { return 0 }
        let row = UnsafeRawPointer(plane + top), outRow = UnsafeMutableRawPointer(out)
        let lanes = SIMD8<Float>(0, 2, 4, 6, 8, 10, 12, 14)
        var ow = 0
        while ow + 8 <= outW {
            let r0 = row.loadUnaligned(fromByteOffset: 2 * ow * 4, as: SIMD16<Float>.self)
            let r1 = row.loadUnaligned(fromByteOffset: (inW + 2 * ow) * 4, as: SIMD16<Float>.self)
            let k = SIMD8<Float>(repeating: Float(top + 2 * ow)) + lanes
            var m = r0.evenHalf, best = k
            @inline(__always) func visit(_ v: SIMD8<Float>, _ i: SIMD8<Float>) {
                let wins = (v .> m) .| (v .!= v)
                m.replace(with: v, where: wins)
                best.replace(with: i, where: wins)
            }
            visit(r0.oddHalf, k + 1)
            visit(r1.evenHalf, k + Float(inW))
            visit(r1.oddHalf, k + Float(inW + 1))
            outRow.storeBytes(of: m, toByteOffset: ow * 4, as: SIMD8<Float>.self)
            if let index { UnsafeMutableRawPointer(index).storeBytes(of: best, toByteOffset: ow * 4, as: SIMD8<Float>.self) }
            ow += 8
        }
        return ow
    }

    /// The index in `plane` of the first maximum of the window at output column `ow` of
    /// the row `rows` describes (row-major; a NaN wins), or -1 for a window that meets no
    /// input element (dilation can skip it all).
    @inline(__always)
    func argmax<T: Scalar>(_ plane: UnsafePointer<T>, _ rows: (Int, Int, Int), _ ow: Int) -> Int {
        let (h0, iLo, iHi) = rows
        let w0 = ow * sW - pW
        let (jLo, jHi) = Self.inside(w0, kernel: kW, dilation: dW, size: inW)
        guard iLo < iHi && jLo < jHi else { return -1 }
        if kH == 2 && kW == 2 && dH == 1 && dW == 1 && iLo == 0 && iHi == 2 && jLo == 0 && jHi == 2 {
            return argmax2x2(plane, h0 * inW + w0)
        }
        var best = (h0 + iLo * dH) * inW + w0 + jLo * dW
        var m = plane[best]
        // As torch's kernel: a later element wins if greater or NaN. Selects rather than
        // branches, which random data would mispredict half the time.
        for i in iLo..<iHi {
            let row = (h0 + i * dH) * inW + w0
            for j in jLo..<jHi {
                let k = row + j * dW
                let v = plane[k]
                let wins = v > m || v != v
                m = wins ? v : m
                best = wins ? k : best
            }
        }
        return best
    }
}

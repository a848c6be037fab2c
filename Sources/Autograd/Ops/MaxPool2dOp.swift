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
        summary: "maximum over kernel_size windows of x [N, C, H, W]; the gradient goes to each window's first maximum")

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
        guard let g = try? pooling.geometry(x[0].shape, name: ""), let shape = try? outputShape([x[0].shape]) else { return x[0] }
        let w = Windows(pooling, g)
        return poolPlanes(x[0], to: shape, g, fromOutput: false) { src, dst in
            for oh in 0..<g.outH {
                let rows = w.rows(oh)
                for ow in 0..<g.outW {
                    let i = w.argmax(src, rows, ow)
                    dst[oh * g.outW + ow] = i >= 0 ? src[i] : -T.infinity
                }
            }
        }
    }

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func vjp<T: Scalar>(
        _ grad: NDArray<T>, inputs x: [NDArray<T>], output: NDArray<T>, needs: [Bool]
    ) -> [NDArray<T>?] {
        guard let g = try? pooling.geometry(x[0].shape, name: "") else { return [nil] }
        let w = Windows(pooling, g)
        // The windows' argmaxes are found again from x rather than kept from the forward
        // pass: a pass over x costs about what an index array's allocation and traffic do.
        var dx = [T](repeating: 0, count: x[0].count)
        x[0].data.withUnsafeBufferPointer { xs in
            grad.data.withUnsafeBufferPointer { gs in
                dx.withUnsafeMutableBufferPointer { ds in
                    guard let xp = xs.baseAddress, let gp = gs.baseAddress, let dp = ds.baseAddress else { return }
                    let src = UncheckedSendable(xp), grads = UncheckedSendable(gp), dst = UncheckedSendable(dp)
                    Parallel.forEachItem(g.planes, parallelFrom: 8) { p in
                        let plane = src.value + p * g.inArea, d = dst.value + p * g.inArea
                        let gy = grads.value + p * g.outArea
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
        return [NDArray(shape: x[0].shape, data: dx)]
    }
}

/// The pooling windows of one plane, as plain integers for the inner loops.
private struct Windows {
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

    /// The index in `plane` of the first maximum of the window at output column `ow` of
    /// the row `rows` describes (row-major; a NaN wins), or -1 for a window that meets no
    /// input element (dilation can skip it all).
    @inline(__always)
    func argmax<T: Scalar>(_ plane: UnsafePointer<T>, _ rows: (Int, Int, Int), _ ow: Int) -> Int {
        let (h0, iLo, iHi) = rows
        let w0 = ow * sW - pW
        let (jLo, jHi) = Self.inside(w0, kernel: kW, dilation: dW, size: inW)
        guard iLo < iHi && jLo < jHi else { return -1 }
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

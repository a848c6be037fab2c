/// 2-D average pooling, as `torch.nn.functional.avg_pool2d`: each window's sum divided by
/// its size counting the zero padding (`count_include_pad`, the default) or by the input
/// elements it covers; with `ceil_mode` a last window may reach past the padding and
/// counts only up to it, as in torch.
public struct AvgPool2dOp: Operator {
    public static let signature = OpSignature(
        name: "avg_pool2d", arity: .exactly(1), inputs: ["x"],
        attributes: [
            Pooling.kernelAttribute, Pooling.strideAttribute, Pooling.paddingAttribute, Pooling.ceilAttribute,
            AttributeSpec("count_include_pad", .bool, default: .bool(true), "divide by the window size including zero padding"),
        ],
        summary: "mean over kernel_size windows of x [N, C, H, W]",
        pytorch: "torch.nn.functional.avg_pool2d(x, kernel_size, stride, padding, ceil_mode, count_include_pad)",
        shapeRule: Pooling.shapeRule,
        notes: "divides by the window's size with its zero padding (count_include_pad) or by the input elements it covers; with ceil_mode a window past the padding counts only up to it, as torch")

    let pooling: Pooling
    /// Whether zero padding counts in each window's divisor.
    public let countIncludePad: Bool

    /// Average pooling; throws for a non-positive kernel or stride, or padding over half
    /// the kernel. `stride` nil means the kernel size.
    public init(kernelSize: [Int], stride: [Int]? = nil, padding: [Int] = [0], ceilMode: Bool = false, countIncludePad: Bool = true) throws(OpError) {
        pooling = try Pooling(kernel: kernelSize, stride: stride, padding: padding, dilation: [1], ceilMode: ceilMode)
        self.countIncludePad = countIncludePad
    }

    public init(attributes a: Attributes) throws(OpError) {
        pooling = try Pooling(attributes: a)
        switch a["count_include_pad"] {
        case nil, .null?: countIncludePad = true
        default: countIncludePad = try a.bool("count_include_pad")
        }
    }

    public func outputShape(_ inputs: [[Int]]) throws(OpError) -> [Int] {
        try pooling.outputShape(inputs[0], name: Self.signature.name)
    }

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func forward<T: Scalar>(_ x: [NDArray<T>]) -> NDArray<T> {
        guard let g = try? pooling.geometry(x[0].shape, name: ""), let shape = try? outputShape([x[0].shape]) else { return x[0] }
        return poolPlanes(x[0], to: shape, g, fromOutput: false) { src, dst in
            forEachWindow(g) { (o: Int, rows: Range<Int>, cols: Range<Int>, divisor: T) in
                var s: T = 0
                for h in rows { for w in cols { s += src[h * g.inW + w] } }
                dst[o] = s / divisor
            }
        }
    }

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func vjp<T: Scalar>(
        _ grad: NDArray<T>, inputs x: [NDArray<T>], output: NDArray<T>, needs: [Bool]
    ) -> [NDArray<T>?] {
        [inputGradient(grad, inputShape: x[0].shape)]
    }

    /// The gradient for an x of `inputShape` (nil if it cannot be pooled): each output's
    /// gradient over its divisor, added to every element of its window. Linear in `grad`.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    func inputGradient<T: Scalar>(_ grad: NDArray<T>, inputShape: [Int]) -> NDArray<T>? {
        guard let g = try? pooling.geometry(inputShape, name: "") else { return nil }
        return poolPlanes(grad, to: inputShape, g, fromOutput: true) { gy, dst in
            forEachWindow(g) { (o: Int, rows: Range<Int>, cols: Range<Int>, divisor: T) in
                let v = gy[o] / divisor
                for h in rows { for w in cols { dst[h * g.inW + w] += v } }
            }
        }
    }

    /// Calls `body(o, rows, cols, divisor)` for every output position `o` of a plane,
    /// with the window clipped to the input.
    @inline(__always)
    private func forEachWindow<T: Scalar>(_ g: PoolGeometry, _ body: (Int, Range<Int>, Range<Int>, T) -> Void) {
        let p = pooling
        for oh in 0..<g.outH {
            let h0 = oh * p.stride[0] - p.padding[0]
            let h1 = Swift.min(h0 + p.kernel[0], g.inH + p.padding[0])
            let rows = Swift.max(h0, 0)..<Swift.max(Swift.min(h1, g.inH), Swift.max(h0, 0))
            for ow in 0..<g.outW {
                let w0 = ow * p.stride[1] - p.padding[1]
                let w1 = Swift.min(w0 + p.kernel[1], g.inW + p.padding[1])
                let cols = Swift.max(w0, 0)..<Swift.max(Swift.min(w1, g.inW), Swift.max(w0, 0))
                let divisor = countIncludePad ? (h1 - h0) * (w1 - w0) : rows.count * cols.count
                body(oh * g.outW + ow, rows, cols, T(Swift.max(divisor, 1)))
            }
        }
    }
}

/// The windows of a 2-D pooling op over x `[N, C, H, W]` (or unbatched `[C, H, W]`), as
/// torch's `max_pool2d`/`avg_pool2d`: output `(oh, ow)` covers rows
/// `oh * stride - padding + i * dilation` for `i` in `0..<kernel` (columns alike).
struct Pooling: Sendable, Equatable {
    let kernel: [Int]
    let stride: [Int]
    let padding: [Int]
    let dilation: [Int]
    let ceilMode: Bool

    static let shapeRule =
        "[N, C, H', W'] with H' = (H + 2 * padding - dilation * (kernel - 1) - 1) / stride + 1, rounded up with ceil_mode (W' alike)"

    static let kernelAttribute = AttributeSpec("kernel_size", .intOrInts, default: nil, "window size (required), one or per spatial axis")
    static let strideAttribute = AttributeSpec("stride", .intOrInts, default: .null, "step between windows; null = kernel_size")
    static let paddingAttribute = AttributeSpec("padding", .intOrInts, default: .int(0), "implicit padding on both sides, at most half the kernel")
    static let ceilAttribute = AttributeSpec("ceil_mode", .bool, default: .bool(false), "round the output size up rather than down (windows must start inside the input or its left padding)")

    init(kernel: [Int], stride: [Int]?, padding: [Int], dilation: [Int], ceilMode: Bool) throws(OpError) {
        self.kernel = try SpatialAttributes.expand(kernel, "kernel_size", dims: 2, minimum: 1)
        self.stride = try SpatialAttributes.expand(stride ?? kernel, "stride", dims: 2, minimum: 1)
        self.padding = try SpatialAttributes.expand(padding, "padding", dims: 2, minimum: 0)
        self.dilation = try SpatialAttributes.expand(dilation, "dilation", dims: 2, minimum: 1)
        self.ceilMode = ceilMode
        for d in 0..<2 where self.padding[d] > self.kernel[d] / 2 {
            throw .attribute(name: "padding", detail: "must be at most half the kernel size (\(self.kernel[d])), got \(self.padding[d])")
        }
    }

    init(attributes a: Attributes) throws(OpError) {
        guard let kernel = try a.axes("kernel_size") else { throw .attribute(name: "kernel_size", detail: "is required") }
        let ceil: Bool
        switch a["ceil_mode"] {
        case nil, .null?: ceil = false
        default: ceil = try a.bool("ceil_mode")
        }
        try self.init(
            kernel: kernel, stride: try a.axes("stride"), padding: try a.axes("padding") ?? [0],
            dilation: try a.axes("dilation") ?? [1], ceilMode: ceil)
    }

    /// The output length along axis `d` for an input of `size`, as torch's
    /// `pooling_output_shape`; nil when it is less than 1.
    func outputSize(_ size: Int, axis d: Int) -> Int? {
        let span = dilation[d] * (kernel[d] - 1) + 1
        let room = size + 2 * padding[d] - span + (ceilMode ? stride[d] - 1 : 0)
        guard room >= 0 else { return nil }
        var out = room / stride[d] + 1
        // The last window must start inside the input or its left padding.
        if ceilMode && (out - 1) * stride[d] >= size + padding[d] { out -= 1 }
        return out >= 1 ? out : nil
    }

    /// The input `[N, C, H, W]` as (planes, H, W, outH, outW), or why it cannot be pooled.
    func geometry(_ x: [Int], name: String) throws(OpError) -> PoolGeometry {
        guard let (batch, channels, spatial) = SpatialAttributes.split(x, dims: 2) else {
            throw .shape("\(name): x must be 4-D [N, C, H, W] or 3-D [C, H, W], got \(Shape.describe(x))")
        }
        guard channels > 0 && spatial[0] > 0 && spatial[1] > 0 else {
            throw .shape("\(name): x must have non-empty channel and spatial axes, got \(Shape.describe(x))")
        }
        guard let oh = outputSize(spatial[0], axis: 0), let ow = outputSize(spatial[1], axis: 1) else {
            throw .shape("\(name): the window (kernel \(kernel), dilation \(dilation)) does not fit the padded input \(Shape.describe(spatial)) with padding \(padding)")
        }
        return PoolGeometry(planes: batch * channels, inH: spatial[0], inW: spatial[1], outH: oh, outW: ow)
    }

    func outputShape(_ x: [Int], name: String) throws(OpError) -> [Int] {
        let g = try geometry(x, name: name)
        return Array(x.dropLast(2)) + [g.outH, g.outW]
    }
}

/// The sizes of a pooled tensor seen as `planes` independent `[inH, inW]` images.
struct PoolGeometry: Sendable, Equatable {
    let planes: Int, inH: Int, inW: Int, outH: Int, outW: Int
    var inArea: Int { inH * inW }
    var outArea: Int { outH * outW }

    /// Calls `body(input plane, output plane)` for every plane, spread over the thread
    /// budget; each call touches only its own planes.
    @inline(__always)
    func forEachPlane<A: Scalar, B: Scalar>(
        _ input: UnsafePointer<A>, inStride: Int, _ output: UnsafeMutablePointer<B>, outStride: Int,
        _ body: (UnsafePointer<A>, UnsafeMutablePointer<B>) -> Void
    ) {
        let src = UncheckedSendable(input), dst = UncheckedSendable(output)
        Parallel.forEachItem(planes, parallelFrom: 8) { p in
            body(src.value + p * inStride, dst.value + p * outStride)
        }
    }
}

/// `body(input plane, output plane)` over the planes of `source`: x's planes to the pooled
/// array of `shape` (forward), or, with `fromOutput`, the output-shaped gradient's planes
/// to x's shape (backward, whose planes start at zero).
func poolPlanes<T: Scalar>(
    _ source: NDArray<T>, to shape: [Int], _ g: PoolGeometry, fromOutput: Bool,
    _ body: (UnsafePointer<T>, UnsafeMutablePointer<T>) -> Void
) -> NDArray<T> {
    var out = [T](repeating: 0, count: Shape.count(shape) ?? 0)
    source.data.withUnsafeBufferPointer { s in
        out.withUnsafeMutableBufferPointer { o in
            guard let sp = s.baseAddress, let op = o.baseAddress else { return }
            g.forEachPlane(
                sp, inStride: fromOutput ? g.outArea : g.inArea, op, outStride: fromOutput ? g.inArea : g.outArea, body)
        }
    }
    return NDArray(shape: shape, data: out)
}

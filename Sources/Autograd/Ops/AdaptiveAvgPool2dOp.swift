/// 2-D adaptive average pooling, as `torch.nn.functional.adaptive_avg_pool2d`: output
/// row `i` of `outH` averages input rows `floor(i * H / outH) ..< ceil((i + 1) * H / outH)`
/// (columns alike), so windows may overlap or differ in size.
public struct AdaptiveAvgPool2dOp: Operator {
    public static let signature = OpSignature(
        name: "adaptive_avg_pool2d", arity: .exactly(1), inputs: ["x"],
        attributes: [
            AttributeSpec("output_size", .intOrInts, default: nil, "the output's [H, W] (required), or one size for both")
        ],
        summary: "mean over the windows that split x [N, C, H, W] into output_size cells",
        pytorch: "torch.nn.functional.adaptive_avg_pool2d(x, output_size)",
        shapeRule: "[N, C] + output_size (unbatched [C] + output_size)",
        notes: "cell i of n over a length L averages [floor(i L / n), ceil((i + 1) L / n)), so cells may overlap")

    /// The output's `[H, W]`.
    public let outputSize: [Int]

    /// The op pooling to `outputSize` (one size for both, or `[H, W]`); throws for a negative size.
    public init(outputSize: [Int]) throws(OpError) {
        self.outputSize = try SpatialAttributes.expand(outputSize, "output_size", dims: 2, minimum: 0)
    }

    public init(attributes a: Attributes) throws(OpError) {
        try self.init(outputSize: try SpatialAttributes.required(a, "output_size", dims: 2, minimum: 0))
    }

    private func geometry(_ x: [Int]) throws(OpError) -> PoolGeometry {
        guard let (batch, channels, spatial) = SpatialAttributes.split(x, dims: 2) else {
            throw .shape("adaptive_avg_pool2d: x must be 4-D [N, C, H, W] or 3-D [C, H, W], got \(Shape.describe(x))")
        }
        guard spatial[0] > 0 && spatial[1] > 0 else {
            throw .shape("adaptive_avg_pool2d: x must have non-empty spatial axes, got \(Shape.describe(x))")
        }
        return PoolGeometry(planes: batch * channels, inH: spatial[0], inW: spatial[1], outH: outputSize[0], outW: outputSize[1])
    }

    public func outputShape(_ inputs: [[Int]]) throws(OpError) -> [Int] {
        _ = try geometry(inputs[0])
        return Array(inputs[0].dropLast(2)) + outputSize
    }

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func forward<T: Scalar>(_ x: [NDArray<T>]) -> NDArray<T> {
        guard let g = try? geometry(x[0].shape) else { return x[0] }
        return poolPlanes(x[0], to: Array(x[0].shape.dropLast(2)) + outputSize, g, fromOutput: false) { src, dst in
            forEachWindow(g) { o, rows, cols in
                var s: T = 0
                for h in rows { for w in cols { s += src[h * g.inW + w] } }
                dst[o] = s / T(rows.count * cols.count)
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
    /// gradient over its window's size, added to every element of the window. Linear in `grad`.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    func inputGradient<T: Scalar>(_ grad: NDArray<T>, inputShape: [Int]) -> NDArray<T>? {
        guard let g = try? geometry(inputShape) else { return nil }
        return poolPlanes(grad, to: inputShape, g, fromOutput: true) { gy, dst in
            forEachWindow(g) { o, rows, cols in
                let v = gy[o] / T(rows.count * cols.count)
                for h in rows { for w in cols { dst[h * g.inW + w] += v } }
            }
        }
    }

    @inline(__always)
    private func forEachWindow(_ g: PoolGeometry, _ body: (Int, Range<Int>, Range<Int>) -> Void) {
        for oh in 0..<g.outH {
            let rows = (oh * g.inH / g.outH)..<(((oh + 1) * g.inH + g.outH - 1) / g.outH)
            for ow in 0..<g.outW {
                body(oh * g.outW + ow, rows, (ow * g.inW / g.outW)..<(((ow + 1) * g.inW + g.outW - 1) / g.outW))
            }
        }
    }
}

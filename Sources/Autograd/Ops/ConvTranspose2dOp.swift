/// 2-D transposed convolution, as `torch.nn.functional.conv_transpose2d`: x
/// `[N, Cin, H, W]` (or unbatched), weight `[Cin, Cout / groups, kH, kW]`, optional bias
/// `[Cout]`. It is the gradient of conv2d with respect to its input, so it runs conv2d's
/// kernels backwards: its forward is conv2d's input gradient, its input gradient is a
/// conv2d, and its weight gradient is conv2d's weight gradient with the roles of x and the
/// upstream gradient exchanged.
public struct ConvTranspose2dOp: Operator {
    public static let signature = OpSignature(
        name: "conv_transpose2d", arity: .range(2, 3), inputs: ["x", "weight", "bias"],
        attributes: [
            AttributeSpec("stride", .intOrInts, default: .int(1), "step between input positions in the output"),
            AttributeSpec("padding", .intOrInts, default: .int(0), "dilation * (k - 1) - padding zeros added on both sides"),
            AttributeSpec("output_padding", .intOrInts, default: .int(0), "extra size added to one side of the output; less than stride or dilation"),
            AttributeSpec("dilation", .intOrInts, default: .int(1), "spacing between kernel taps"),
            AttributeSpec("groups", .int, default: .int(1), "channels split into this many independent groups"),
        ],
        summary: "transposed 2-D convolution of x [N, Cin, H, W] with weight [Cin, Cout / groups, kH, kW] and optional bias [Cout]",
        pytorch: "torch.nn.functional.conv_transpose2d(x, weight, bias, stride, padding, output_padding, groups, dilation)",
        shapeRule: "[N, Cout, H', W'] with H' = (H - 1) * stride - 2 * padding + dilation * (kH - 1) + output_padding + 1 (W' alike)",
        notes: "conv2d's input gradient run forwards (the same kernels); output_padding must be below the stride or the dilation, as in torch")

    /// The transposed convolution's settings, per spatial axis, as in `torch.nn.functional.conv_transpose2d`.
    public let stride: [Int], padding: [Int], outputPadding: [Int], dilation: [Int], groups: Int

    /// A transposed convolution; throws for a non-positive stride, dilation or groups, a
    /// negative padding, or an output padding not below the stride or the dilation.
    public init(stride: [Int] = [1], padding: [Int] = [0], outputPadding: [Int] = [0], dilation: [Int] = [1], groups: Int = 1) throws(OpError) {
        self.stride = try SpatialAttributes.expand(stride, "stride", dims: 2, minimum: 1)
        self.padding = try SpatialAttributes.expand(padding, "padding", dims: 2, minimum: 0)
        self.outputPadding = try SpatialAttributes.expand(outputPadding, "output_padding", dims: 2, minimum: 0)
        self.dilation = try SpatialAttributes.expand(dilation, "dilation", dims: 2, minimum: 1)
        guard groups >= 1 else { throw .attribute(name: "groups", detail: "must be at least 1, got \(groups)") }
        self.groups = groups
        for d in 0..<2 where self.outputPadding[d] >= self.stride[d] && self.outputPadding[d] >= self.dilation[d] {
            throw .attribute(
                name: "output_padding",
                detail: "must be smaller than either stride or dilation, got \(self.outputPadding[d]) with stride \(self.stride[d]) and dilation \(self.dilation[d])")
        }
    }

    public init(attributes a: Attributes) throws(OpError) {
        try self.init(
            stride: try a.axes("stride") ?? [1], padding: try a.axes("padding") ?? [0],
            outputPadding: try a.axes("output_padding") ?? [0], dilation: try a.axes("dilation") ?? [1],
            groups: try a.optionalInt("groups") ?? 1)
    }

    /// The conv2d geometry whose input is this op's output and whose output is x.
    func geometry(_ inputs: [[Int]]) throws(OpError) -> ConvGeometry {
        let x = inputs[0], w = inputs[1]
        guard let (batch, channels, spatial) = SpatialAttributes.split(x, dims: 2) else {
            throw .shape("conv_transpose2d: x must be 4-D [N, C, H, W] or 3-D unbatched, got \(Shape.describe(x))")
        }
        guard w.count == 4 else {
            throw .shape("conv_transpose2d: weight must be 4-D [in, out / groups, kH, kW], got \(Shape.describe(w))")
        }
        guard w[0] == channels else {
            throw .shape("conv_transpose2d: x has \(channels) channels but weight \(Shape.describe(w)) expects \(w[0])")
        }
        guard channels % groups == 0 else {
            throw .shape("conv_transpose2d: x's \(channels) channels are not divisible by groups \(groups)")
        }
        guard w[2] > 0 && w[3] > 0 else { throw .shape("conv_transpose2d: weight has an empty kernel \(Shape.describe(w))") }
        let outChannels = w[1] * groups
        if inputs.count == 3 && inputs[2] != [outChannels] {
            throw .shape("conv_transpose2d: bias must be [\(outChannels)], got \(Shape.describe(inputs[2]))")
        }
        var out = [0, 0]
        for d in 0..<2 {
            out[d] = (spatial[d] - 1) * stride[d] - 2 * padding[d] + dilation[d] * (w[d + 2] - 1) + outputPadding[d] + 1
            guard out[d] > 0 else {
                throw .shape("conv_transpose2d: the output would have size \(out[d]) along spatial axis \(d)")
            }
        }
        return ConvGeometry(
            batch: batch, inChannels: outChannels, inH: out[0], inW: out[1],
            outChannels: channels, outH: spatial[0], outW: spatial[1], kH: w[2], kW: w[3],
            strideH: stride[0], strideW: stride[1], padTop: padding[0], padLeft: padding[1],
            dilationH: dilation[0], dilationW: dilation[1], groups: groups)
    }

    public func outputShape(_ inputs: [[Int]]) throws(OpError) -> [Int] {
        let g = try geometry(inputs)
        return SpatialAttributes.join(inputs[0], dims: 2, batch: g.batch, channels: g.inChannels, spatial: [g.inH, g.inW])
    }

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func forward<T: Scalar>(_ x: [NDArray<T>]) -> NDArray<T> {
        guard let g = try? geometry(x.map(\.shape)), let shape = try? outputShape(x.map(\.shape)) else { return x[0] }
        var y = ConvKernels.inputGradient(x[0].data, x[1].data, g)
        if x.count == 3 { ConvKernels.addBias(&y, x[2].data, batch: g.batch, area: g.inArea) }
        return NDArray(shape: shape, data: y)
    }

    // dx = conv2d(gy, W); dW = conv2d's weight gradient for input gy and upstream x;
    // db = gy summed over all but the channel axis.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func vjp<T: Scalar>(
        _ grad: NDArray<T>, inputs x: [NDArray<T>], output: NDArray<T>, needs: [Bool]
    ) -> [NDArray<T>?] {
        guard let g = try? geometry(x.map(\.shape)) else { return x.map { _ in nil } }
        var result: [NDArray<T>?] = [
            needs[0] ? NDArray(shape: x[0].shape, data: ConvKernels.forward(grad.data, x[1].data, g)) : nil,
            needs[1] ? NDArray(shape: x[1].shape, data: ConvKernels.weightGradient(grad.data, x[0].data, g)) : nil,
        ]
        if x.count == 3 {
            result.append(
                needs[2]
                    ? NDArray(shape: x[2].shape, data: ConvKernels.channelSums(grad.data, batch: g.batch, channels: g.inChannels, area: g.inArea))
                    : nil)
        }
        return result
    }
}

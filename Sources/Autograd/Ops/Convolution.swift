/// How a convolution pads its input: explicit zeros per spatial axis (both sides), none
/// (`"valid"`), or as much as keeps the output the input's size at stride 1 (`"same"`; an
/// odd total puts the extra element after, as torch does).
public enum ConvPadding: Sendable, Equatable {
    /// These zeros on both sides of each spatial axis (one value for all, or one per axis).
    case explicit([Int])
    /// No padding (`"valid"`).
    case valid
    /// Padding that keeps each spatial length (`"same"`, stride 1 only).
    case same
}

/// Attribute parsing shared by the convolution and pooling ops.
enum SpatialAttributes {
    /// An int-or-list attribute as one value per spatial axis (an int, or a one-element
    /// list, applies to every axis, as in torch), each at least `minimum`; nil when absent
    /// or null.
    static func values(
        _ attrs: Attributes, _ name: String, dims: Int, minimum: Int
    ) throws(OpError) -> [Int]? {
        guard let v = try attrs.axes(name) else { return nil }
        return try expand(v, name, dims: dims, minimum: minimum)
    }

    static func expand(_ v: [Int], _ name: String, dims: Int, minimum: Int) throws(OpError) -> [Int] {
        guard v.count == 1 || v.count == dims else {
            throw .attribute(name: name, detail: "must be an integer or a list of \(dims) integers, got \(v.count)")
        }
        guard let bad = v.first(where: { $0 < minimum }) else {
            return v.count == dims ? v : Array(repeating: v[0], count: dims)
        }
        throw .attribute(name: name, detail: "must be at least \(minimum), got \(bad)")
    }

    /// A required int-or-list attribute.
    static func required(_ attrs: Attributes, _ name: String, dims: Int, minimum: Int) throws(OpError) -> [Int] {
        guard let v = try values(attrs, name, dims: dims, minimum: minimum) else {
            throw .attribute(name: name, detail: "is required")
        }
        return v
    }

    /// `[N, C, spatial...]` or the unbatched `[C, spatial...]` as (batch, channels, spatial);
    /// nil for another rank.
    static func split(_ shape: [Int], dims: Int) -> (batch: Int, channels: Int, spatial: [Int])? {
        if shape.count == dims + 2 { return (shape[0], shape[1], Array(shape[2...])) }
        if shape.count == dims + 1 { return (1, shape[0], Array(shape[1...])) }
        return nil
    }

    /// The output shape for `channels` and `spatial`, batched as `input` was.
    static func join(_ input: [Int], dims: Int, batch: Int, channels: Int, spatial: [Int]) -> [Int] {
        input.count == dims + 2 ? [batch, channels] + spatial : [channels] + spatial
    }
}

/// The attributes and the shape rule shared by conv1d and conv2d, as
/// `torch.nn.functional.conv1d`/`conv2d`: x `[N, C, spatial...]` (or unbatched
/// `[C, spatial...]`), weight `[O, C / groups, k...]`, optional bias `[O]`.
struct Convolution: Sendable, Equatable {
    let dims: Int
    let stride: [Int]
    let padding: ConvPadding
    let dilation: [Int]
    let groups: Int

    static let notes =
        "padding \"same\" puts an odd total's extra element after and needs stride 1, as torch; per sample, im2col in cache + one BLAS gemm per group"

    static func attributes(dims: Int) -> [AttributeSpec] {
        [
            AttributeSpec("stride", .intOrInts, default: .int(1), "step between output positions, per spatial axis or one for all"),
            AttributeSpec(
                "padding", .intsOrChoice(["valid", "same"]), default: .int(0),
                "zeros added on both sides per spatial axis, or \"valid\" (none) or \"same\" (output size = input size; stride 1 only)"),
            AttributeSpec("dilation", .intOrInts, default: .int(1), "spacing between kernel taps"),
            AttributeSpec("groups", .int, default: .int(1), "input and output channels split into this many independent groups"),
        ]
    }

    init(dims: Int, stride: [Int], padding: ConvPadding, dilation: [Int], groups: Int) throws(OpError) {
        self.dims = dims
        self.stride = try SpatialAttributes.expand(stride, "stride", dims: dims, minimum: 1)
        self.dilation = try SpatialAttributes.expand(dilation, "dilation", dims: dims, minimum: 1)
        if case .explicit(let p) = padding {
            self.padding = .explicit(try SpatialAttributes.expand(p, "padding", dims: dims, minimum: 0))
        } else {
            self.padding = padding
        }
        guard groups >= 1 else { throw .attribute(name: "groups", detail: "must be at least 1, got \(groups)") }
        self.groups = groups
        if padding == .same && self.stride.contains(where: { $0 != 1 }) {
            throw .attribute(name: "padding", detail: "\"same\" is not supported for strided convolutions (stride \(self.stride)), as in torch")
        }
    }

    init(dims: Int, attributes a: Attributes) throws(OpError) {
        let padding: ConvPadding
        switch a["padding"] {
        case .string("same")?: padding = .same
        case .string("valid")?: padding = .valid
        case .string(let s)?: throw .attribute(name: "padding", detail: "must be an integer, a list of integers, \"valid\" or \"same\", got \"\(s)\"")
        default: padding = .explicit(try a.axes("padding") ?? [0])
        }
        try self.init(
            dims: dims, stride: try a.axes("stride") ?? [1], padding: padding,
            dilation: try a.axes("dilation") ?? [1], groups: try a.optionalInt("groups") ?? 1)
    }

    /// The geometry for these input shapes (x, weight, bias?), or why they do not fit.
    func geometry(_ inputs: [[Int]], name: String) throws(OpError) -> ConvGeometry {
        let x = inputs[0], w = inputs[1]
        guard let (batch, channels, spatial) = SpatialAttributes.split(x, dims: dims) else {
            throw .shape("\(name): x must be \(dims + 2)-D [N, C, \(spatialNames)] or \(dims + 1)-D unbatched, got \(Shape.describe(x))")
        }
        guard w.count == dims + 2 else {
            throw .shape("\(name): weight must be \(dims + 2)-D [out, in / groups, \(kernelNames)], got \(Shape.describe(w))")
        }
        let kernel = Array(w[2...])
        guard w[0] % groups == 0 else {
            throw .shape("\(name): weight's out-channels \(w[0]) are not divisible by groups \(groups)")
        }
        guard channels % groups == 0 && w[1] * groups == channels else {
            throw .shape("\(name): x has \(channels) channels but weight \(Shape.describe(w)) with groups \(groups) expects \(w[1] * groups)")
        }
        guard !kernel.contains(0) else { throw .shape("\(name): weight has an empty kernel \(Shape.describe(w))") }
        if inputs.count == 3 && inputs[2] != [w[0]] {
            throw .shape("\(name): bias must be [\(w[0])], got \(Shape.describe(inputs[2]))")
        }
        var before = [Int](repeating: 0, count: dims), out = [Int](repeating: 0, count: dims)
        for d in 0..<dims {
            let span = dilation[d] * (kernel[d] - 1) + 1
            let total: Int
            switch padding {
            case .explicit(let p): total = 2 * p[d]; before[d] = p[d]
            case .valid: total = 0
            case .same: total = span - 1; before[d] = total / 2
            }
            guard spatial[d] + total >= span else {
                throw .shape("\(name): the kernel (\(span) with dilation) is larger than the padded input (\(spatial[d] + total)) along spatial axis \(d)")
            }
            out[d] = (spatial[d] + total - span) / stride[d] + 1
        }
        // conv1d is conv2d over a height of 1.
        let h = dims == 2 ? 0 : -1, wi = dims - 1
        return ConvGeometry(
            batch: batch, inChannels: channels, inH: h < 0 ? 1 : spatial[0], inW: spatial[wi],
            outChannels: w[0], outH: h < 0 ? 1 : out[0], outW: out[wi],
            kH: h < 0 ? 1 : kernel[0], kW: kernel[wi],
            strideH: h < 0 ? 1 : stride[0], strideW: stride[wi],
            padTop: h < 0 ? 0 : before[0], padLeft: before[wi],
            dilationH: h < 0 ? 1 : dilation[0], dilationW: dilation[wi], groups: groups)
    }

    private var spatialNames: String { dims == 1 ? "L" : "H, W" }
    private var kernelNames: String { dims == 1 ? "k" : "kH, kW" }

    func outputShape(_ inputs: [[Int]], name: String) throws(OpError) -> [Int] {
        let g = try geometry(inputs, name: name)
        let spatial = dims == 1 ? [g.outW] : [g.outH, g.outW]
        return SpatialAttributes.join(inputs[0], dims: dims, batch: g.batch, channels: g.outChannels, spatial: spatial)
    }

    /// The output.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    func forward<T: Scalar>(_ x: [NDArray<T>], name: String) -> NDArray<T> {
        guard let shape = try? outputShape(x.map(\.shape), name: name),
            let g = try? geometry(x.map(\.shape), name: name)
        else { return x[0] }
        return NDArray(shape: shape, data: ConvKernels.forward(x[0].data, x[1].data, g, bias: x.count == 3 ? x[2].data : nil))
    }

    // Per sample: dx = col2im(Wᵀ gy), dW += gy colsᵀ (x unfolded again, in cache); db = gy
    // summed over all but the channel axis.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    func vjp<T: Scalar>(_ grad: NDArray<T>, inputs x: [NDArray<T>], needs: [Bool], name: String) -> [NDArray<T>?] {
        guard let g = try? geometry(x.map(\.shape), name: name) else { return x.map { _ in nil } }
        var result: [NDArray<T>?] = [
            needs[0] ? NDArray(shape: x[0].shape, data: ConvKernels.inputGradient(grad.data, x[1].data, g)) : nil,
            needs[1] ? NDArray(shape: x[1].shape, data: ConvKernels.weightGradient(x[0].data, grad.data, g)) : nil,
        ]
        if x.count == 3 {
            result.append(
                needs[2]
                    ? NDArray(shape: x[2].shape, data: ConvKernels.channelSums(grad.data, batch: g.batch, channels: g.outChannels, area: g.outArea))
                    : nil)
        }
        return result
    }
}

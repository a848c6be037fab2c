import Autograd

/// Convolutions and pooling (issue 11's CNN set) over 1 or 2 spatial axes, mapped onto
/// `conv1d`, `conv2d`, `conv_transpose2d`, `max_pool2d`, `avg_pool2d`, `mean` and `amax`.
/// The engine pads symmetrically; ONNX's begin/end pads and auto_pad become an explicit
/// `pad` op before the kernel (or a crop after a transposed convolution) when they differ.
/// What the engine cannot compute (3-D kernels, MaxPool's indices)
/// is a 422 naming the attribute or output.
extension ONNXOps {
    static func addSpatial(_ t: inout [String: ONNXOp]) {
        t["Conv"] = conv
        t["ConvTranspose"] = convTranspose
        t["MaxPool"] = pool(max: true)
        t["AveragePool"] = pool(max: false)
        t["GlobalAveragePool"] = global("mean")
        t["GlobalMaxPool"] = global("amax")
    }

    /// A node's window geometry over the spatial axes of x `[N, C, spatial...]`.
    struct Window {
        var kernel: [Int]
        var strides: [Int]
        var dilations: [Int]
        /// Pads before and after each spatial axis.
        var begin: [Int]
        var end: [Int]

        var spans: [Int] { zip(kernel, dilations).map { ($0 - 1) * $1 + 1 } }
        var symmetric: Bool { begin == end }

        /// Reads kernel_shape (or `kernel`), strides, dilations, pads and auto_pad. SAME_UPPER
        /// and SAME_LOWER pad so that the output is ceil(in / stride), the odd element after
        /// (UPPER) or before (LOWER); VALID pads nothing.
        init(_ node: ONNXNode, spatial: [Int], kernel given: [Int]?) throws(ImportFailure) {
            let n = spatial.count
            func list(_ name: String, _ fallback: Int) throws(ImportFailure) -> [Int] {
                guard let v = try Window.ints(node, name) else { return Array(repeating: fallback, count: n) }
                guard v.count == n else { throw ImportFailure("attribute \"\(name)\" has \(v.count) values for \(n) spatial axes") }
                return v
            }
            if let k = try Window.ints(node, "kernel_shape") {
                guard k.count == n, k.allSatisfy({ $0 >= 1 }) else { throw ImportFailure("attribute \"kernel_shape\" \(k) does not fit \(n) spatial axes") }
                if let given, given != k { throw ImportFailure("attribute \"kernel_shape\" \(k) differs from the weight's kernel \(given)") }
                kernel = k
            } else if let given {
                kernel = given
            } else {
                throw ImportFailure("attribute \"kernel_shape\" is required")
            }
            strides = try list("strides", 1)
            dilations = try list("dilations", 1)
            guard strides.allSatisfy({ $0 >= 1 }), dilations.allSatisfy({ $0 >= 1 }) else {
                throw ImportFailure("strides \(strides) and dilations \(dilations) must be at least 1")
            }
            let autoPad = try node.string("auto_pad", "NOTSET")
            switch autoPad {
            case "NOTSET":
                let pads = try Window.ints(node, "pads") ?? Array(repeating: 0, count: 2 * n)
                guard pads.count == 2 * n, pads.allSatisfy({ $0 >= 0 }) else {
                    throw ImportFailure("attribute \"pads\" \(pads) must hold \(2 * n) values, none negative")
                }
                begin = Array(pads[..<n])
                end = Array(pads[n...])
            case "VALID":
                begin = Array(repeating: 0, count: n)
                end = begin
            case "SAME_UPPER", "SAME_LOWER":
                begin = []
                end = []
                let spans = zip(kernel, dilations).map { ($0 - 1) * $1 + 1 }
                for d in 0..<n {
                    let out = (spatial[d] + strides[d] - 1) / strides[d]
                    let total = max(0, (out - 1) * strides[d] + spans[d] - spatial[d])
                    let head = autoPad == "SAME_UPPER" ? total / 2 : (total + 1) / 2
                    begin.append(head)
                    end.append(total - head)
                }
            default:
                throw ImportFailure("attribute \"auto_pad\": \"\(autoPad.prefix(32))\" is not NOTSET, SAME_UPPER, SAME_LOWER or VALID")
            }
            if autoPad != "NOTSET", node.attributes["pads"] != nil {
                throw ImportFailure("attributes \"auto_pad\" and \"pads\" cannot both be given")
            }
        }

        /// An ints attribute whose values are at most 2^24 in size, so that the window
        /// arithmetic (stride times a length, a dilated kernel) cannot overflow.
        static func ints(_ node: ONNXNode, _ name: String) throws(ImportFailure) -> [Int]? {
            guard let v = try node.ints(name) else { return nil }
            guard v.allSatisfy({ abs($0) <= 1 << 24 }) else { throw ImportFailure("attribute \"\(name)\" holds a value out of range (over 2^24)") }
            return v
        }

        /// `[[0, 0], [0, 0], [begin, end]...]`: the `pad` op's widths for x.
        var padWidth: AttributeValue { .intLists([[0, 0], [0, 0]] + zip(begin, end).map { [$0, $1] }) }
    }

    /// x `[N, C, spatial...]` with 1 or 2 spatial axes, or the 422 for any other rank.
    private static func spatialInput(_ ctx: ModelImport, _ node: ONNXNode) throws(ImportFailure) -> Operand {
        let x = try ctx.input(node, 0)
        guard x.shape.count == 3 || x.shape.count == 4 else {
            throw ImportFailure("x has shape \(Shape.describe(x.shape)); only 1 or 2 spatial axes ([N, C, L] or [N, C, H, W]) are supported")
        }
        return x
    }

    // MARK: Conv

    /// Y = conv(X, W) + B over 1 or 2 spatial axes; asymmetric pads pad x explicitly.
    private static let conv = ONNXOp(["auto_pad", "dilations", "group", "kernel_shape", "pads", "strides"]) { ctx, node throws(ImportFailure) in
        var x = try spatialInput(ctx, node)
        let w = try ctx.input(node, 1)
        let out = node.outputs[0]
        guard w.shape.count == x.shape.count else {
            throw ImportFailure("W has shape \(Shape.describe(w.shape)); it must have the rank of x \(Shape.describe(x.shape))")
        }
        let window = try Window(node, spatial: Array(x.shape[2...]), kernel: Array(w.shape[2...]))
        var padding = window.begin
        if !window.symmetric {
            x = try ctx.emit("pad", attrs: ["pad_width": window.padWidth], [x], base: out)
            padding = window.begin.map { _ in 0 }
        }
        var inputs = [x, w]
        if node.has(2) { inputs.append(try ctx.input(node, 2)) }
        let attrs: [String: AttributeValue] = [
            "stride": .ints(window.strides), "padding": .ints(padding), "dilation": .ints(window.dilations),
            "groups": .int(try node.int("group", 1)),
        ]
        return [try ctx.emit(x.shape.count == 3 ? "conv1d" : "conv2d", attrs: attrs, inputs, as: out, base: out)]
    }

    // MARK: ConvTranspose

    /// The engine's conv_transpose2d (1 spatial axis: over a height of 1). Its output
    /// `stride (in - 1) + span + output_padding - begin - end` is taken from the unpadded
    /// full output by one `pad` op (negative widths crop) when the pads are asymmetric,
    /// output_shape is given, or output_padding is out of the engine's range; the bias is
    /// then added after, as the padded border gets it too.
    private static let convTranspose = ONNXOp(
        ["auto_pad", "dilations", "group", "kernel_shape", "output_padding", "output_shape", "pads", "strides"]
    ) { ctx, node throws(ImportFailure) in
        var x = try spatialInput(ctx, node)
        var w = try ctx.input(node, 1)
        let out = node.outputs[0]
        guard w.shape.count == x.shape.count else {
            throw ImportFailure("W has shape \(Shape.describe(w.shape)); it must have the rank of x \(Shape.describe(x.shape))")
        }
        let spatial = Array(x.shape[2...])
        let n = spatial.count
        let autoPad = try node.string("auto_pad", "NOTSET")
        var window = try Window(node, spatial: spatial, kernel: Array(w.shape[2...]))
        let group = try node.int("group", 1)
        let outputPadding = try Window.ints(node, "output_padding") ?? Array(repeating: 0, count: n)
        guard outputPadding.count == n, outputPadding.allSatisfy({ $0 >= 0 }) else {
            throw ImportFailure("attribute \"output_padding\" \(outputPadding) must hold \(n) values, none negative")
        }
        let full = (0..<n).map { window.strides[$0] * (spatial[$0] - 1) + window.spans[$0] }
        if let shape = try Window.ints(node, "output_shape") {
            // output_shape fixes the total padding, split as auto_pad says (SAME_UPPER's
            // odd element after, as in the ONNX reference; NOTSET like SAME_UPPER).
            guard shape.count == n || shape.count == n + 2 else {
                throw ImportFailure("attribute \"output_shape\" \(shape) does not fit \(n) spatial axes")
            }
            guard node.attributes["pads"] == nil else { throw ImportFailure("attributes \"output_shape\" and \"pads\" cannot both be given") }
            let target = Array(shape.suffix(n))
            for d in 0..<n {
                let total = full[d] + outputPadding[d] - target[d]
                let head = autoPad == "SAME_LOWER" ? total - total / 2 : total / 2
                window.begin[d] = head
                window.end[d] = total - head
            }
        } else if autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER" {
            // Output in * stride; the total padding split with SAME_UPPER's odd element after.
            for d in 0..<n {
                let total = full[d] + outputPadding[d] - spatial[d] * window.strides[d]
                let head = autoPad == "SAME_UPPER" ? total / 2 : total - total / 2
                window.begin[d] = head
                window.end[d] = total - head
            }
        }
        let outSize = (0..<n).map { full[$0] + outputPadding[$0] - window.begin[$0] - window.end[$0] }
        guard outSize.allSatisfy({ $0 >= 1 }) else {
            throw ImportFailure("the output would have spatial size \(outSize)")
        }
        let direct = window.symmetric
            && (0..<n).allSatisfy { d in
                window.begin[d] >= 0 && window.begin[d] <= window.spans[d] - 1
                    && outputPadding[d] < max(window.strides[d], window.dilations[d])
            }
        // One spatial axis: the engine's 2-D op over a height of 1.
        let lift = n == 1
        if lift {
            x = try ctx.emit("reshape", attrs: ["shape": .ints(Array(x.shape[..<2]) + [1] + spatial)], [x], base: out)
            w = try ctx.emit("reshape", attrs: ["shape": .ints(Array(w.shape[..<2]) + [1] + Array(w.shape[2...]))], [w], base: out)
        }
        func axes(_ v: [Int], _ fill: Int) -> AttributeValue { .ints(lift ? [fill] + v : v) }
        let bias = node.has(2) ? try ctx.input(node, 2) : nil
        var attrs: [String: AttributeValue] = [
            "stride": axes(window.strides, 1), "dilation": axes(window.dilations, 1), "groups": .int(group),
        ]
        var y: Operand
        if direct {
            attrs["padding"] = axes(window.begin, 0)
            attrs["output_padding"] = axes(outputPadding, 0)
            y = try ctx.emit("conv_transpose2d", attrs: attrs, [x, w] + (bias.map { [$0] } ?? []), as: lift ? nil : out, base: out)
        } else {
            y = try ctx.emit("conv_transpose2d", attrs: attrs, [x, w], base: out)
            let widths = (0..<n).map { d in [-window.begin[d], outputPadding[d] - window.end[d]] }
            y = try ctx.emit("pad", attrs: ["pad_width": .intLists([[0, 0], [0, 0]] + (lift ? [[0, 0]] : []) + widths)], [y], base: out)
            if let bias {
                let b = try ctx.emit("reshape", attrs: ["shape": .ints(bias.shape + Array(repeating: 1, count: y.shape.count - 2))], [bias], base: out)
                y = try ctx.emit("add", [y, b], as: lift ? nil : out, base: out)
            }
        }
        if lift {
            y = try ctx.emit("reshape", attrs: ["shape": .ints([y.shape[0], y.shape[1], y.shape[3]])], [y], as: out, base: out)
        }
        return [y]
    }

    // MARK: pooling

    /// MaxPool and AveragePool over 1 or 2 spatial axes (1: over a height of 1).
    /// Symmetric pads of at most half the kernel are the engine's padding; other pads pad x
    /// explicitly: with -inf for MaxPool, with 0 for AveragePool, whose count_include_pad = 0
    /// then divides the pooled x by the pooled mask of ones (a constant computed at import)
    /// so that padding is not counted. The output size follows ONNX's rule (ceil_mode: the
    /// last window starts inside the input or its begin padding); where the engine's would
    /// differ the node is refused.
    private static func pool(max isMax: Bool) -> ONNXOp {
        let names: Set<String> = isMax
            ? ["auto_pad", "ceil_mode", "dilations", "kernel_shape", "pads", "storage_order", "strides"]
            : ["auto_pad", "ceil_mode", "count_include_pad", "dilations", "kernel_shape", "pads", "strides"]
        return ONNXOp(names) { ctx, node throws(ImportFailure) in
            var x = try spatialInput(ctx, node)
            let out = node.outputs[0]
            if isMax {
                guard node.outputs.count < 2 || node.outputs[1].isEmpty else {
                    throw ImportFailure("output 1 (Indices) is not supported: the engine's max_pool2d gives no indices")
                }
                guard try node.int("storage_order", 0) == 0 else { throw ImportFailure("attribute \"storage_order\" 1 (column major) is not supported") }
            }
            let spatial = Array(x.shape[2...])
            let window = try Window(node, spatial: spatial, kernel: nil)
            let ceil = try node.int("ceil_mode", 0) != 0
            let includePad = try node.int("count_include_pad", 0) != 0
            // A dilated AveragePool: a depthwise conv2d with a constant kernel of 1 / k (or of
            // ones over the count of a ones mask, for count_include_pad = 0), over x padded.
            let dilatedAverage = !isMax && window.dilations.contains(where: { $0 != 1 })
            // ONNX's output size.
            var expected: [Int] = []
            for d in spatial.indices {
                let room = spatial[d] + window.begin[d] + window.end[d] - window.spans[d]
                guard room >= 0 else { throw ImportFailure("the window (span \(window.spans[d])) is larger than the padded input along spatial axis \(d)") }
                var o = (ceil ? (room + window.strides[d] - 1) / window.strides[d] : room / window.strides[d]) + 1
                if ceil && (o - 1) * window.strides[d] >= spatial[d] + window.begin[d] { o -= 1 }
                expected.append(o)
            }
            let direct = !dilatedAverage && window.symmetric && zip(window.begin, window.kernel).allSatisfy { $0 <= $1 / 2 }
            let lift = spatial.count == 1
            func axes(_ v: [Int], _ fill: Int) -> AttributeValue { .ints(lift ? [fill] + v : v) }
            var attrs: [String: AttributeValue] = [
                "kernel_size": axes(window.kernel, 1), "stride": axes(window.strides, 1), "ceil_mode": .bool(ceil),
                "padding": axes(direct ? window.begin : window.begin.map { _ in 0 }, 0),
            ]
            if isMax { attrs["dilation"] = axes(window.dilations, 1) } else { attrs["count_include_pad"] = .bool(includePad) }
            let engine = isMax ? "max_pool2d" : "avg_pool2d"
            let lifted = lift ? Array(x.shape[..<2]) + [1] + spatial : x.shape
            if lift { x = try ctx.emit("reshape", attrs: ["shape": .ints(lifted)], [x], base: out) }
            /// Windows of `v` ([N, C, H, W]) summed by a depthwise conv2d of `value`s, dilated.
            func windowSums(_ v: Operand, _ value: Double, id: String?) throws(ImportFailure) -> Operand {
                let channels = v.shape[1], kernel = lift ? [1] + window.kernel : window.kernel
                let count = channels * kernel.reduce(1, *)
                let weight = Constant(shape: [channels, 1] + kernel, values: Array(repeating: value, count: count), isInteger: false)
                let convAttrs: [String: AttributeValue] = [
                    "stride": axes(window.strides, 1), "padding": axes(window.begin.map { _ in 0 }, 0),
                    "dilation": axes(window.dilations, 1), "groups": .int(channels),
                ]
                return try ctx.emit("conv2d", attrs: convAttrs, [v, .const(weight)], as: id, base: out)
            }
            var y: Operand
            if dilatedAverage {
                // ceil_mode: zeros past the end padding for the last windows, which count
                // only what lies inside the input and its pads.
                let extra = spatial.indices.map { d in
                    max(0, (expected[d] - 1) * window.strides[d] + window.spans[d] - (spatial[d] + window.begin[d] + window.end[d]))
                }
                func widths(_ begin: [Int], _ end: [Int]) -> AttributeValue {
                    .intLists([[0, 0], [0, 0]] + (lift ? [[0, 0]] : []) + zip(begin, end).map { [$0, $1] })
                }
                let ends = zip(window.end, extra).map { $0 + $1 }
                let padded = try ctx.emit("pad", attrs: ["pad_width": widths(window.begin, ends)], [x], base: out)
                if includePad && extra.allSatisfy({ $0 == 0 }) {
                    y = try windowSums(padded, 1 / Double(window.kernel.reduce(1, *)), id: lift ? nil : out)
                } else {
                    let sum = try windowSums(padded, 1, id: nil)
                    // The places a window counts: the input, and its pads with count_include_pad.
                    let counted = includePad ? zip(spatial, zip(window.begin, window.end)).map { $0 + $1.0 + $1.1 } : spatial
                    let inner = (lift ? [1] : []) + counted
                    let ones = Constant(shape: [1, 1] + inner, values: Array(repeating: 1, count: inner.reduce(1, *)), isInteger: false)
                    let mask = try ctx.emit("pad", attrs: ["pad_width": includePad ? widths(window.begin.map { _ in 0 }, extra) : widths(window.begin, ends)], [.const(ones)], base: out)
                    let count = try windowSums(mask, 1, id: nil)
                    y = try ctx.emit("div", [sum, count], as: lift ? nil : out, base: out)
                }
            } else if direct {
                y = try ctx.emit(engine, attrs: attrs, [x], as: lift ? nil : out, base: out)
            } else {
                let widths = AttributeValue.intLists([[0, 0], [0, 0]] + (lift ? [[0, 0]] : []) + zip(window.begin, window.end).map { [$0, $1] })
                let padded = try ctx.emit("pad", attrs: ["pad_width": widths, "value": .number(isMax ? -.infinity : 0)], [x], base: out)
                if isMax || includePad {
                    y = try ctx.emit(engine, attrs: attrs, [padded], as: lift ? nil : out, base: out)
                } else {
                    let sum = try ctx.emit(engine, attrs: attrs, [padded], base: out)
                    let ones = Constant(shape: [1, 1] + Array(lifted[2...]), values: Array(repeating: 1, count: lifted[2...].reduce(1, *)), isInteger: false)
                    let mask = try ctx.emit("pad", attrs: ["pad_width": widths], [.const(ones)], base: out)
                    let count = try ctx.emit(engine, attrs: attrs, [mask], base: out)
                    y = try ctx.emit("div", [sum, count], as: lift ? nil : out, base: out)
                }
            }
            let got = Array(y.shape.suffix(spatial.count))
            guard got == expected else {
                throw ImportFailure("with these pads and ceil_mode ONNX gives spatial size \(expected), the engine \(got); not supported")
            }
            if lift {
                y = try ctx.emit("reshape", attrs: ["shape": .ints(Array(x.shape[..<2]) + got)], [y], as: out, base: out)
            }
            return [y]
        }
    }

    /// GlobalAveragePool and GlobalMaxPool: the mean (max) over every spatial axis, kept as 1.
    private static func global(_ engine: String) -> ONNXOp {
        ONNXOp { ctx, node throws(ImportFailure) in
            let x = try ctx.input(node, 0)
            guard x.shape.count >= 3 else { throw ImportFailure("x has shape \(Shape.describe(x.shape)); it must be [N, C, spatial...]") }
            return [try ctx.emit(engine, attrs: ["axis": .ints(Array(2..<x.shape.count)), "keepdims": .bool(true)], [x], as: node.outputs[0], base: node.outputs[0])]
        }
    }
}

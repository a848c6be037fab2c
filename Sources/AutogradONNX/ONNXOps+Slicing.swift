import Autograd

/// Slice, Split, Expand, ConstantOfShape and Range: shapes and index ranges, which must be
/// known at import (Slice's starts, a Split's sizes, Expand's shape), mapped onto `slice`,
/// `take`, `broadcast_to`, or computed at import.
extension ONNXOps {
    static func addSlicing(_ t: inout [String: ONNXOp]) {
        t["Slice"] = slice
        t["Split"] = split
        t["Expand"] = expand
        t["ConstantOfShape"] = constantOfShape
        t["Range"] = range
        t["Size"] = ONNXOp { ctx, node throws(ImportFailure) in
            [.const(Constant(shape: [], values: [Double(Shape.count(try ctx.input(node, 0).shape) ?? 0)], isInteger: true))]
        }
        t["Pad"] = pad
        t["Mod"] = mod
    }

    /// Mod of values known at import (the exporters' shape arithmetic): the sign of the
    /// divisor (Python's %, `A - floor(A / B) * B`, for floats too as opset 28 defines it),
    /// or of the dividend with fmod = 1 (C's fmod). Broadcasting.
    private static let mod = ONNXOp(["fmod"]) { ctx, node throws(ImportFailure) in
        let a = try ctx.constantInput(node, 0), b = try ctx.constantInput(node, 1)
        let fmod = try node.int("fmod", 0) != 0
        let integer = a.isInteger && b.isInteger
        // The shape by broadcasting, through the engine's rule (an add of the two).
        let shape = try ctx.emit("add", [.const(a), .const(b)], base: node.outputs[0]).shape
        let x = try ctx.emit("broadcast_to", attrs: ["shape": .ints(shape)], [.const(a)], base: node.outputs[0])
        let y = try ctx.emit("broadcast_to", attrs: ["shape": .ints(shape)], [.const(b)], base: node.outputs[0])
        guard let xs = x.constant?.values, let ys = y.constant?.values else { throw ImportFailure("the operands must be known at import") }
        var out: [Double] = []
        for (p, q) in zip(xs, ys) {
            guard q != 0 || !integer else { throw ImportFailure("division by zero") }
            let r = p.truncatingRemainder(dividingBy: q)
            out.append(!fmod && r != 0 && (r < 0) != (q < 0) ? r + q : r)
        }
        return [.const(Constant(shape: shape, values: out, isInteger: integer))]
    }

    /// Pad (pads, constant_value and axes known at import). Mode constant (negative pads
    /// crop): the engine's `pad`. Modes reflect, edge and wrap: per padded axis one `take` of
    /// the index list numpy.pad reads (the gradient is take's: each source element collects
    /// the gradients of the places it was copied to); their pads must not be negative.
    private static let pad = ONNXOp(["mode"]) { ctx, node throws(ImportFailure) in
        let x = try ctx.input(node, 0)
        let mode = try node.string("mode", "constant")
        guard ["constant", "reflect", "edge", "wrap"].contains(mode) else {
            throw ImportFailure("attribute \"mode\": \"\(mode.prefix(32))\" is not supported (constant, reflect, edge, wrap are)")
        }
        let rank = x.shape.count
        let pads = try ctx.constantInput(node, 1).integers("pads")
        var value = 0.0
        if node.has(2) {
            let c = try ctx.constantInput(node, 2)
            guard c.values.count == 1 else { throw ImportFailure("constant_value must hold one value") }
            value = c.values[0]
        }
        var axes = Array(0..<rank)
        if node.has(3) {
            axes = []
            for a in try ctx.constantInput(node, 3).integers("axes") { axes.append(try axis(a, rank: rank)) }
        }
        guard pads.count == 2 * axes.count else { throw ImportFailure("pads has \(pads.count) values for \(axes.count) axes") }
        var widths = Array(repeating: [0, 0], count: rank)
        for (k, a) in axes.enumerated() { widths[a] = [pads[k], pads[k + axes.count]] }
        if mode != "constant" {
            var y = x
            let padded = widths.indices.filter { widths[$0] != [0, 0] }
            for a in padded {
                let (before, after) = (widths[a][0], widths[a][1])
                let n = x.shape[a]
                guard before >= 0, after >= 0 else { throw ImportFailure("mode \(mode): pads must not be negative; got \(pads)") }
                guard n > 0 else { throw ImportFailure("mode \(mode) cannot pad axis \(a) of length 0") }
                guard before <= ctx.maxElements, after <= ctx.maxElements - before else {
                    throw ImportFailure("pads \(pads) are over the limit of \(ctx.maxElements) elements")
                }
                guard (Shape.count(x.shape) ?? Int.max) / n <= ctx.maxElements / max(n + before + after, 1) else {
                    throw ImportFailure("the padded value would hold more than \(ctx.maxElements) elements")
                }
                let indices = (0..<(n + before + after)).map { j -> Int in
                    let i = j - before
                    switch mode {
                    case "edge": return min(max(i, 0), n - 1)
                    case "wrap": return ((i % n) + n) % n
                    default:  // reflect: period 2 (n - 1), the edge not repeated
                        guard n > 1 else { return 0 }
                        let period = 2 * (n - 1)
                        let m = ((i % period) + period) % period
                        return m < n ? m : period - m
                    }
                }
                y = try ctx.emit("take", attrs: ["axis": .int(a)], [y, .const(.ints(indices))], as: a == padded.last ? node.outputs[0] : nil, base: node.outputs[0])
            }
            return [y]
        }
        return [try ctx.emit("pad", attrs: ["pad_width": .intLists(widths), "value": .number(value)], [x], as: node.outputs[0], base: node.outputs[0])]
    }

    /// The indices Python's `slice(start, end, step)` takes from an axis of `length`
    /// (ONNX Slice clamps exactly so).
    static func pythonSlice(_ start: Int, _ end: Int, _ step: Int, length n: Int) -> (first: Int, count: Int) {
        if step > 0 {
            let s = start < 0 ? max(start + n, 0) : min(start, n)
            let e = end < 0 ? max(end + n, 0) : min(end, n)
            return (s, e > s ? (e - s + step - 1) / step : 0)
        }
        let s = start < 0 ? max(start + n, -1) : min(start, n - 1)
        let e = end < 0 ? max(end + n, -1) : min(end, n - 1)
        return (s, s > e ? (s - e - step - 1) / -step : 0)
    }

    /// Slice (opset 10 on: starts, ends, axes, steps as inputs known at import): one `slice`
    /// per sliced axis with a positive step, one `take` of the index list for a negative one.
    private static let slice = ONNXOp { ctx, node throws(ImportFailure) in
        var x = try ctx.input(node, 0)
        let out = node.outputs[0]
        let starts = try ctx.constantInput(node, 1).clampedIntegers("starts")
        let ends = try ctx.constantInput(node, 2).clampedIntegers("ends")
        let rank = x.shape.count
        let axes = node.has(3) ? try ctx.constantInput(node, 3).integers("axes") : Array(0..<starts.count)
        let steps = node.has(4) ? try ctx.constantInput(node, 4).clampedIntegers("steps") : Array(repeating: 1, count: starts.count)
        guard ends.count == starts.count, axes.count == starts.count, steps.count == starts.count else {
            throw ImportFailure("starts, ends, axes and steps have \(starts.count), \(ends.count), \(axes.count) and \(steps.count) values; they must have as many")
        }
        var seen = Set<Int>()
        var plan: [(axis: Int, first: Int, count: Int, step: Int)] = []
        for k in starts.indices {
            let a = try axis(axes[k], rank: rank)
            guard seen.insert(a).inserted else { throw ImportFailure("axis \(axes[k]) is repeated") }
            guard steps[k] != 0 else { throw ImportFailure("steps must not be 0") }
            let (first, count) = pythonSlice(starts[k], ends[k], steps[k], length: x.shape[a])
            if first == 0 && steps[k] == 1 && count == x.shape[a] { continue }
            plan.append((a, first, count, steps[k]))
        }
        for (k, p) in plan.enumerated() {
            let id = k == plan.count - 1 ? out : nil
            if p.step > 0 {
                let attrs: [String: AttributeValue] = [
                    "axis": .int(p.axis), "start": .int(p.first), "stop": .int(p.first + p.count * p.step), "step": .int(p.step),
                ]
                x = try ctx.emit("slice", attrs: attrs, [x], as: id, base: out)
            } else {
                let indices = Constant.ints((0..<p.count).map { p.first + $0 * p.step })
                x = try ctx.emit("take", attrs: ["axis": .int(p.axis)], [x, .const(indices)], as: id, base: out)
            }
        }
        return [x]
    }

    /// Split along `axis` into the sizes of input 1, or into num_outputs (opset 18) or as
    /// many outputs as the node has, of ceil(length / n) with the last one smaller.
    private static let split = ONNXOp(["axis", "num_outputs"]) { ctx, node throws(ImportFailure) in
        let x = try ctx.input(node, 0)
        let a = try axis(try node.int("axis", 0), rank: x.shape.count)
        let length = x.shape[a]
        var sizes: [Int]
        if node.has(1) {
            sizes = try ctx.constantInput(node, 1).integers("split")
            guard sizes.allSatisfy({ $0 >= 0 && $0 <= length }), sizes.reduce(0, +) == length else {
                throw ImportFailure("split \(sizes) does not add up to the axis's length \(length)")
            }
        } else {
            let n = try node.optionalInt("num_outputs") ?? node.outputs.count
            guard n >= 1, n <= max(length, 1) else { throw ImportFailure("cannot split length \(length) into \(n) parts") }
            let chunk = (length + n - 1) / n
            sizes = (0..<n).map { min(chunk, max(length - $0 * chunk, 0)) }
        }
        guard sizes.count == node.outputs.count else {
            throw ImportFailure("the split makes \(sizes.count) parts; the node has \(node.outputs.count) outputs")
        }
        var results: [Operand] = []
        var first = 0
        for (k, size) in sizes.enumerated() {
            let name = node.outputs[k].isEmpty ? nil : node.outputs[k]
            let attrs: [String: AttributeValue] = ["axis": .int(a), "start": .int(first), "stop": .int(first + size)]
            results.append(try ctx.emit("slice", attrs: attrs, [x], as: name, base: node.outputs[0]))
            first += size
        }
        return results
    }

    /// x broadcast with the shape (both ways, as NumPy): `broadcast_to` the result's shape.
    private static let expand = ONNXOp { ctx, node throws(ImportFailure) in
        let x = try ctx.input(node, 0)
        let shape = try ctx.constantInput(node, 1).integers("the shape")
        let rank = max(shape.count, x.shape.count)
        let a = Array(repeating: 1, count: rank - x.shape.count) + x.shape
        let b = Array(repeating: 1, count: rank - shape.count) + shape
        var result: [Int] = []
        for (p, q) in zip(a, b) {
            guard p == q || p == 1 || q == 1, q >= 0 else {
                throw ImportFailure("x \(Shape.describe(x.shape)) does not broadcast with the shape \(shape)")
            }
            result.append(p == 1 ? q : p)
        }
        if result == x.shape { return [x] }
        return [try ctx.emit("broadcast_to", attrs: ["shape": .ints(result)], [x], as: node.outputs[0], base: node.outputs[0])]
    }

    /// A constant of the given shape filled with `value` (one element; default float 0).
    private static let constantOfShape = ONNXOp(["value"]) { ctx, node throws(ImportFailure) in
        let shape = try ctx.constantInput(node, 0).integers("the shape")
        guard shape.allSatisfy({ $0 >= 0 }), let count = Shape.count(shape), count <= ctx.maxElements else {
            throw ImportFailure("shape \(shape) is negative or holds more than \(ctx.maxElements) elements")
        }
        var fill = 0.0, integer = false
        if let a = node.attributes["value"] {
            guard a.type == .tensor else { throw ImportFailure("attribute \"value\" must be a tensor") }
            let t = try ONNXTensorData(a.t, maxElements: ctx.maxElements)
            guard t.values.count == 1 else { throw ImportFailure("attribute \"value\" must hold one element; it holds \(t.values.count)") }
            fill = t.values[0]
            integer = !t.type.isFloat
        }
        return [.const(Constant(shape: shape, values: Array(repeating: fill, count: count), isInteger: integer))]
    }

    /// start, start + delta, ... up to limit (excluded): max(ceil((limit - start) / delta), 0)
    /// values, computed at import. stash_type (opset 27) concerns float16/bfloat16 only.
    private static let range = ONNXOp(["stash_type"]) { ctx, node throws(ImportFailure) in
        var scalars: [Double] = []
        var integer = true
        for (i, what) in ["start", "limit", "delta"].enumerated() {
            let c = try ctx.constantInput(node, i)
            guard c.values.count == 1 else { throw ImportFailure("\(what) must be a scalar; it has shape \(Shape.describe(c.shape))") }
            guard c.values[0].isFinite else { throw ImportFailure("\(what) must be finite") }
            scalars.append(c.values[0])
            integer = integer && c.isInteger
        }
        let (start, limit, delta) = (scalars[0], scalars[1], scalars[2])
        guard delta != 0 else { throw ImportFailure("delta must not be 0") }
        let n = max(((limit - start) / delta).rounded(.up), 0)
        guard n <= Double(ctx.maxElements) else { throw ImportFailure("the range holds more than \(ctx.maxElements) elements") }
        let values = (0..<Int(n)).map { start + Double($0) * delta }
        return [.const(Constant(shape: [values.count], values: values, isInteger: integer))]
    }
}

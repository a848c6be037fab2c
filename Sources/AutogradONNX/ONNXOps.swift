import Autograd

/// How one ONNX operator type becomes engine ops: the attributes it understands (any
/// other attribute on a node is a problem, not silently ignored) and a handler that reads
/// the node's operands and returns its outputs, in order.
struct ONNXOp: Sendable {
    let attributes: Set<String>
    let handler: @Sendable (inout ModelImport, ONNXNode) throws(ImportFailure) -> [Operand]

    init(_ attributes: Set<String> = [], _ handler: @escaping @Sendable (inout ModelImport, ONNXNode) throws(ImportFailure) -> [Operand]) {
        self.attributes = attributes
        self.handler = handler
    }
}

/// The operators of the default domain (`ai.onnx`) the importer maps, by op_type.
/// Every entry is built from engine ops, so gradients come from their VJPs.
enum ONNXOps {
    /// The opset versions of the default domain whose semantics these entries follow. From
    /// 23 to 28 the imported operators changed only in types the importer refuses (float4,
    /// float8e8m0, int2, float6, bfloat16 Einsum) and in attributes for those types (Cast's
    /// round_mode, Range's stash_type); Mod 28 defines fmod = 0 for floats as the floor
    /// remainder, which the importer computes at every opset (onnx's docs/Changelog.md).
    static let opsets = 13...28

    static let table: [String: ONNXOp] = {
        var t: [String: ONNXOp] = [:]
        for (onnx, engine) in [
            ("Add", "add"), ("Sub", "sub"), ("Mul", "mul"), ("Div", "div"),
        ] { t[onnx] = binary(engine) }
        for (onnx, engine) in [("Relu", "relu"), ("Sigmoid", "sigmoid"), ("Tanh", "tanh")] {
            t[onnx] = unary(engine)
        }
        t["Identity"] = ONNXOp { ctx, node throws(ImportFailure) in [try ctx.input(node, 0)] }
        t["Gemm"] = gemm
        t["MatMul"] = ONNXOp { ctx, node throws(ImportFailure) in
            [try ctx.emit("matmul", [try ctx.input(node, 0), try ctx.input(node, 1)], as: node.outputs.first, base: node.outputs[0])]
        }
        t["Softmax"] = softmax("softmax")
        t["LogSoftmax"] = softmax("log_softmax")
        t["Flatten"] = flatten
        t["Reshape"] = reshape
        t["Constant"] = constant
        t["Shape"] = shape
        t["Gather"] = gather
        t["Concat"] = concat
        t["Unsqueeze"] = unsqueeze
        t["Squeeze"] = squeeze
        t["Cast"] = cast
        addMath(&t)
        addSpatial(&t)
        addNormalization(&t)
        addSlicing(&t)
        addEinsum(&t)
        return t
    }()

    /// The supported op types, sorted: `GET /ops` lists them.
    static var names: [String] { table.keys.sorted() }

    // MARK: elementwise

    static func unary(_ engine: String) -> ONNXOp {
        ONNXOp { ctx, node throws(ImportFailure) in
            [try ctx.emit(engine, [try ctx.input(node, 0)], as: node.outputs[0], base: node.outputs[0])]
        }
    }

    static func binary(_ engine: String) -> ONNXOp {
        ONNXOp { ctx, node throws(ImportFailure) in
            [try ctx.emit(engine, [try ctx.input(node, 0), try ctx.input(node, 1)], as: node.outputs[0], base: node.outputs[0])]
        }
    }

    // MARK: linear algebra

    /// Y = alpha A' B' + beta C, A' = transpose(A) if transA, B' likewise. No transpose is
    /// ever materialised: a transposed operand is read transposed by gemm itself.
    /// nn.Linear's export (transB = 1, alpha = beta = 1 with C) is one `linear_transposed`
    /// (x Wᵀ + b, W [out, in]), whose gradient of W comes out [out, in] (docs/onnx.md).
    private static let gemm = ONNXOp(["alpha", "beta", "transA", "transB"]) { ctx, node throws(ImportFailure) in
        let out = node.outputs[0]
        let alpha = try node.float("alpha", 1), beta = try node.float("beta", 1)
        let a = try ctx.input(node, 0), b = try ctx.input(node, 1)
        guard a.shape.count == 2, b.shape.count == 2 else {
            throw ImportFailure("A and B must be matrices; got shapes \(Shape.describe(a.shape)) and \(Shape.describe(b.shape))")
        }
        let transA = try node.int("transA", 0) != 0, transB = try node.int("transB", 0) != 0
        let c = node.has(2) ? try ctx.input(node, 2) : nil
        if !transA, alpha == 1, beta == 1, let c {
            // One linear op: x @ W + b (W [in, out]), or x @ Wᵀ + b (W [out, in]).
            return transB
                ? [try ctx.emit(op: LinearTransposedOp(), [a, b, c], as: out, base: out)]
                : [try ctx.emit("linear", [a, b, c], as: out, base: out)]
        }
        let productID = c == nil && alpha == 1 ? out : nil
        var y = transA || transB
            ? try ctx.emit(op: MatMulTransposed(transposeA: transA, transposeB: transB), [a, b], as: productID, base: out)
            : try ctx.emit("matmul", [a, b], as: productID, base: out)
        if alpha != 1 { y = try ctx.emit("mul", [y, .const(.scalar(alpha))], as: c == nil ? out : nil, base: out) }
        if var c {
            if beta != 1 { c = try ctx.emit("mul", [c, .const(.scalar(beta))], base: out) }
            y = try ctx.emit("add", [y, c], as: out, base: out)
        }
        return [y]
    }

    private static func softmax(_ engine: String) -> ONNXOp {
        ONNXOp(["axis"]) { ctx, node throws(ImportFailure) in
            [try ctx.emit(engine, attrs: ["axis": .int(try node.int("axis", -1))], [try ctx.input(node, 0)], as: node.outputs[0], base: node.outputs[0])]
        }
    }

    // MARK: shapes

    /// A value reshaped to `shape` (the engine's reshape carries the gradient back).
    static func reshaped(_ ctx: inout ModelImport, _ x: Operand, _ shape: [Int], _ node: ONNXNode) throws(ImportFailure) -> Operand {
        try ctx.emit("reshape", attrs: ["shape": .ints(shape)], [x], as: node.outputs[0], base: node.outputs[0])
    }

    /// An axis in `0..<rank`, or the failure.
    static func axis(_ a: Int, rank: Int) throws(ImportFailure) -> Int {
        guard a >= -rank, a < rank else { throw ImportFailure("axis \(a) is out of range for rank \(rank)") }
        return a < 0 ? a + rank : a
    }

    private static let flatten = ONNXOp(["axis"]) { ctx, node throws(ImportFailure) in
        let x = try ctx.input(node, 0)
        let rank = x.shape.count
        var a = try node.int("axis", 1)
        guard a >= -rank, a <= rank else { throw ImportFailure("axis \(a) is out of range for rank \(rank)") }
        if a < 0 { a += rank }
        let outer = x.shape[..<a].reduce(1, *), inner = x.shape[a...].reduce(1, *)
        return [try reshaped(&ctx, x, [outer, inner], node)]
    }

    private static let reshape = ONNXOp(["allowzero"]) { ctx, node throws(ImportFailure) in
        let x = try ctx.input(node, 0)
        let requested = try ctx.constantInput(node, 1).integers("the shape")
        let allowZero = try node.int("allowzero", 0) != 0
        var shape: [Int] = []
        var inferred: Int?
        for (i, d) in requested.enumerated() {
            if d == 0 && !allowZero {
                guard i < x.shape.count else { throw ImportFailure("shape entry \(i) is 0 (copy) but the input has rank \(x.shape.count)") }
                shape.append(x.shape[i])
            } else if d == -1 {
                guard inferred == nil else { throw ImportFailure("the shape has more than one -1") }
                inferred = i
                shape.append(1)
            } else {
                guard d >= 0 else { throw ImportFailure("shape entry \(i) is \(d)") }
                shape.append(d)
            }
        }
        let count = Shape.count(x.shape) ?? 0
        if let i = inferred {
            let rest = shape.reduce(1, *)
            guard rest > 0, count % rest == 0 else {
                throw ImportFailure("cannot reshape \(Shape.describe(x.shape)) to \(requested)")
            }
            shape[i] = count / rest
        }
        guard Shape.count(shape) == count else { throw ImportFailure("cannot reshape \(Shape.describe(x.shape)) to \(requested)") }
        return [try reshaped(&ctx, x, shape, node)]
    }

    private static let constant = ONNXOp(["value", "value_float", "value_floats", "value_int", "value_ints"]) { ctx, node throws(ImportFailure) in
        guard node.attributes.count == 1, let (name, a) = node.attributes.first else {
            throw ImportFailure("exactly one of value, value_float, value_floats, value_int, value_ints must be given")
        }
        switch name {
        case "value":
            let t = try ONNXTensorData(a.t, maxElements: ctx.maxElements)
            return [.const(Constant(shape: t.shape, values: t.values, isInteger: !t.type.isFloat))]
        case "value_float": return [.const(.scalar(Double(a.f)))]
        case "value_floats": return [.const(Constant(shape: [a.floats.count], values: a.floats.map(Double.init), isInteger: false))]
        case "value_int": return [.const(Constant(shape: [], values: [Double(a.i)], isInteger: true))]
        default: return [.const(Constant(shape: [a.ints.count], values: a.ints.map { Double($0) }, isInteger: true))]
        }
    }

    private static let shape = ONNXOp(["start", "end"]) { ctx, node throws(ImportFailure) in
        let s = try ctx.input(node, 0).shape
        let r = s.count
        func clamp(_ v: Int) -> Int { min(max(v < 0 ? v + r : v, 0), r) }
        let start = clamp(try node.int("start", 0)), end = clamp(try node.int("end", r))
        return [.const(.ints(start < end ? Array(s[start..<end]) : []))]
    }

    private static let gather = ONNXOp(["axis"]) { ctx, node throws(ImportFailure) in
        let x = try ctx.input(node, 0), indices = try ctx.input(node, 1)
        let a = try axis(try node.int("axis", 0), rank: x.shape.count)
        return [try ctx.emit("take", attrs: ["axis": .int(a)], [x, indices], as: node.outputs[0], base: node.outputs[0])]
    }

    private static let concat = ONNXOp(["axis"]) { ctx, node throws(ImportFailure) in
        guard let a = try node.optionalInt("axis") else { throw ImportFailure("attribute \"axis\" is required") }
        var inputs: [Operand] = []
        for i in node.inputs.indices where node.has(i) { inputs.append(try ctx.input(node, i)) }
        guard let first = inputs.first else { throw ImportFailure("needs at least one input") }
        return [try ctx.emit("concat", attrs: ["axis": .int(try axis(a, rank: first.shape.count))], inputs, as: node.outputs[0], base: node.outputs[0])]
    }

    /// Axes from input 1 (opset 13 on) or the `axes` attribute (earlier exporters).
    private static func axes(_ ctx: ModelImport, _ node: ONNXNode) throws(ImportFailure) -> [Int]? {
        if node.has(1) { return try ctx.constantInput(node, 1).integers("axes") }
        return try node.ints("axes")
    }

    private static let unsqueeze = ONNXOp(["axes"]) { ctx, node throws(ImportFailure) in
        let x = try ctx.input(node, 0)
        guard let given = try axes(ctx, node) else { throw ImportFailure("axes are required") }
        let rank = x.shape.count + given.count
        var marks = [Bool](repeating: false, count: rank)
        for a in given {
            let k = try axis(a, rank: rank)
            guard !marks[k] else { throw ImportFailure("axis \(a) is repeated") }
            marks[k] = true
        }
        var shape: [Int] = []
        var next = x.shape.makeIterator()
        for m in marks { shape.append(m ? 1 : (next.next() ?? 1)) }
        return [try reshaped(&ctx, x, shape, node)]
    }

    private static let squeeze = ONNXOp(["axes"]) { ctx, node throws(ImportFailure) in
        let x = try ctx.input(node, 0)
        var drop = [Bool](repeating: false, count: x.shape.count)
        if let given = try axes(ctx, node) {
            for a in given {
                let k = try axis(a, rank: x.shape.count)
                guard x.shape[k] == 1 else { throw ImportFailure("axis \(a) has length \(x.shape[k]), not 1") }
                drop[k] = true
            }
        } else {
            drop = x.shape.map { $0 == 1 }
        }
        let shape = zip(x.shape, drop).filter { !$0.1 }.map(\.0)
        return [try reshaped(&ctx, x, shape, node)]
    }

    /// To float or double: the values as they are (the request's dtype is the model's).
    /// To an integer or bool type: only for values known at import (shape arithmetic).
    private static let cast = ONNXOp(["to", "saturate", "round_mode"]) { ctx, node throws(ImportFailure) in
        let x = try ctx.input(node, 0)
        let to = try node.int("to", 0)
        guard let type = ONNXElementType(rawValue: Int32(clamping: to)) else {
            throw ImportFailure("attribute \"to\": casting to \(ONNXElementType.name(Int32(clamping: to))) is not supported")
        }
        if type.isFloat {
            if var c = x.constant {
                c.isInteger = false
                return [.const(c)]
            }
            return [x]
        }
        guard var c = x.constant else {
            throw ImportFailure("attribute \"to\": casting a value computed at run time to \(ONNXElementType.name(Int32(to))) is not supported (the engine computes in float)")
        }
        c.values = c.values.map { type == .bool ? ($0 != 0 ? 1 : 0) : $0.rounded(.towardZero) }
        c.isInteger = true
        return [.const(c)]
    }
}

import Autograd

/// The elementwise, comparison, reduction and inference-only operators (issue 11's CNN and
/// transformer sets, the part that maps one to one onto engine ops).
extension ONNXOps {
    static func addMath(_ t: inout [String: ONNXOp]) {
        for (onnx, engine) in [
            ("Exp", "exp"), ("Log", "log"), ("Abs", "abs"), ("Neg", "neg"), ("Sqrt", "sqrt"),
            ("Erf", "erf"), ("Softplus", "softplus"),
        ] { t[onnx] = unary(engine) }
        for (onnx, engine) in [("Pow", "pow"), ("Equal", "equal"), ("Less", "less"), ("Greater", "greater")] {
            t[onnx] = binary(engine)
        }
        t["Reciprocal"] = ONNXOp { ctx, node throws(ImportFailure) in
            [try ctx.emit("div", [.const(.scalar(1)), try ctx.input(node, 0)], as: node.outputs[0], base: node.outputs[0])]
        }
        t["Min"] = variadic("minimum")
        t["Max"] = variadic("maximum")
        t["Where"] = ONNXOp { ctx, node throws(ImportFailure) in
            [try ctx.emit("where", [try ctx.input(node, 0), try ctx.input(node, 1), try ctx.input(node, 2)], as: node.outputs[0], base: node.outputs[0])]
        }
        t["LeakyRelu"] = ONNXOp(["alpha"]) { ctx, node throws(ImportFailure) in
            [try ctx.emit("leaky_relu", attrs: ["negative_slope": .number(try node.float("alpha", 0.01))], [try ctx.input(node, 0)], as: node.outputs[0], base: node.outputs[0])]
        }
        t["Elu"] = ONNXOp(["alpha"]) { ctx, node throws(ImportFailure) in
            [try ctx.emit("elu", attrs: ["alpha": .number(try node.float("alpha", 1))], [try ctx.input(node, 0)], as: node.outputs[0], base: node.outputs[0])]
        }
        t["Gelu"] = ONNXOp(["approximate"]) { ctx, node throws(ImportFailure) in
            let a = try node.string("approximate", "none")
            guard a == "none" || a == "tanh" else { throw ImportFailure("attribute \"approximate\": \"\(a.prefix(32))\" is not none or tanh") }
            return [try ctx.emit("gelu", attrs: ["approximate": .string(a)], [try ctx.input(node, 0)], as: node.outputs[0], base: node.outputs[0])]
        }
        t["Clip"] = ONNXOp { ctx, node throws(ImportFailure) in
            let x = try ctx.input(node, 0)
            var attrs: [String: AttributeValue] = [:]
            for (i, key) in [(1, "min"), (2, "max")] where node.has(i) {
                let c = try ctx.constantInput(node, i)
                guard c.values.count == 1 else { throw ImportFailure("\(key) must be a scalar") }
                attrs[key] = .number(c.values[0])
            }
            if attrs.isEmpty { return [x] }
            return [try ctx.emit("clamp", attrs: attrs, [x], as: node.outputs[0], base: node.outputs[0])]
        }
        t["Transpose"] = ONNXOp(["perm"]) { ctx, node throws(ImportFailure) in
            let perm = try node.ints("perm")
            return [try ctx.emit("transpose", attrs: ["perm": perm.map { .ints($0) } ?? .null], [try ctx.input(node, 0)], as: node.outputs[0], base: node.outputs[0])]
        }
        // Inference: the identity (training_mode, when given, must be known false).
        t["Dropout"] = ONNXOp(["seed"]) { ctx, node throws(ImportFailure) in
            if node.has(2), try ctx.constantInput(node, 2).values.contains(where: { $0 != 0 }) {
                throw ImportFailure("training_mode must be false: dropout is imported for inference")
            }
            guard node.outputs.count < 2 || node.outputs[1].isEmpty else { throw ImportFailure("the mask output is not supported") }
            return [try ctx.input(node, 0)]
        }
        for (onnx, engine) in [("ReduceMean", "mean"), ("ReduceSum", "sum"), ("ReduceMax", "amax")] {
            t[onnx] = reduce(engine)
        }
    }

    /// Min and Max: one or more inputs, folded pairwise (broadcasting).
    private static func variadic(_ engine: String) -> ONNXOp {
        ONNXOp { ctx, node throws(ImportFailure) in
            var inputs: [Operand] = []
            for i in node.inputs.indices where node.has(i) { inputs.append(try ctx.input(node, i)) }
            guard var y = inputs.first else { throw ImportFailure("needs at least one input") }
            for (k, x) in inputs.enumerated().dropFirst() {
                y = try ctx.emit(engine, [y, x], as: k == inputs.count - 1 ? node.outputs[0] : nil, base: node.outputs[0])
            }
            return [y]
        }
    }

    /// Axes from input 1 (ReduceSum from opset 13, the others from 18) or the attribute;
    /// none: every axis, unless noop_with_empty_axes.
    private static func reduce(_ engine: String) -> ONNXOp {
        ONNXOp(["axes", "keepdims", "noop_with_empty_axes"]) { ctx, node throws(ImportFailure) in
            let x = try ctx.input(node, 0)
            let axes = node.has(1) ? try ctx.constantInput(node, 1).integers("axes") : try node.ints("axes")
            let keep = try node.int("keepdims", 1) != 0
            if axes?.isEmpty ?? true, try node.int("noop_with_empty_axes", 0) != 0 { return [x] }
            var attrs: [String: AttributeValue] = ["keepdims": .bool(keep)]
            if let axes, !axes.isEmpty { attrs["axis"] = .ints(axes) }
            return [try ctx.emit(engine, attrs: attrs, [x], as: node.outputs[0], base: node.outputs[0])]
        }
    }
}

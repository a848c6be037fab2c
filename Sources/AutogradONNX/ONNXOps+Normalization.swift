import Autograd

/// BatchNormalization and LayerNormalization, mapped onto `batch_norm` and `layer_norm`.
extension ONNXOps {
    static func addNormalization(_ t: inout [String: ONNXOp]) {
        t["BatchNormalization"] = batchNormalization
        t["LayerNormalization"] = layerNormalization
    }

    /// Inference (training_mode 0, the export of a module in eval mode): `batch_norm` with
    /// the given mean and var. training_mode 1: `batch_norm` with the batch's statistics, and
    /// the optional running_mean and running_var outputs
    /// `input_mean * momentum + batch_mean * (1 - momentum)` (the biased batch variance
    /// likewise), as the ONNX reference computes them.
    private static let batchNormalization = ONNXOp(["epsilon", "momentum", "training_mode"]) { ctx, node throws(ImportFailure) in
        let out = node.outputs[0]
        let x = try ctx.input(node, 0), scale = try ctx.input(node, 1), bias = try ctx.input(node, 2)
        let mean = try ctx.input(node, 3), variance = try ctx.input(node, 4)
        let eps = try node.float("epsilon", 1e-5)
        guard try node.int("training_mode", 0) != 0 else {
            guard node.outputs.count < 2 || node.outputs.dropFirst().allSatisfy(\.isEmpty) else {
                throw ImportFailure("outputs running_mean and running_var exist only with training_mode 1")
            }
            return [try ctx.emit("batch_norm", attrs: ["eps": .number(eps)], [x, scale, bias, mean, variance], as: out, base: out)]
        }
        let y = try ctx.emit("batch_norm", attrs: ["eps": .number(eps)], [x, scale, bias], as: out, base: out)
        var results = [y]
        let wanted = node.outputs.dropFirst().contains { !$0.isEmpty }
        if wanted {
            let momentum = try node.float("momentum", 0.9)
            let axes = AttributeValue.ints([0] + Array(2..<max(x.shape.count, 2)))
            let batchMean = try ctx.emit("mean", attrs: ["axis": axes, "keepdims": .bool(false)], [x], base: out)
            let batchVar = try ctx.emit("var", attrs: ["axis": axes, "keepdims": .bool(false), "correction": .int(0)], [x], base: out)
            for (k, (running, batch)) in [(mean, batchMean), (variance, batchVar)].enumerated() {
                let name = k + 1 < node.outputs.count && !node.outputs[k + 1].isEmpty ? node.outputs[k + 1] : nil
                let kept = try ctx.emit("mul", [running, .const(.scalar(momentum))], base: out)
                let added = try ctx.emit("mul", [batch, .const(.scalar(1 - momentum))], base: out)
                results.append(try ctx.emit("add", [kept, added], as: name, base: out))
            }
        }
        return results
    }

    /// `layer_norm` over the axes from `axis` on. A Scale (B) of exactly those axes' shape is
    /// the op's weight (bias); one that only broadcasts multiplies (adds) after. The optional
    /// Mean and InvStdDev outputs (kept dims) are computed by `mean`, `var` and `rsqrt`.
    private static let layerNormalization = ONNXOp(["axis", "epsilon", "stash_type"]) { ctx, node throws(ImportFailure) in
        let out = node.outputs[0]
        let x = try ctx.input(node, 0), scale = try ctx.input(node, 1)
        let bias = node.has(2) ? try ctx.input(node, 2) : nil
        let rank = x.shape.count
        let a = try axis(try node.int("axis", -1), rank: rank)
        let eps = try node.float("epsilon", 1e-5)
        let normalized = Array(x.shape[a...])
        let attrs: [String: AttributeValue] = ["normalized_shape": .ints(normalized), "eps": .number(eps)]
        var y: Operand
        if scale.shape == normalized && (bias == nil || bias?.shape == normalized) {
            y = try ctx.emit("layer_norm", attrs: attrs, [x, scale] + (bias.map { [$0] } ?? []), as: out, base: out)
        } else {
            y = try ctx.emit("layer_norm", attrs: attrs, [x], base: out)
            y = try ctx.emit("mul", [y, scale], as: bias == nil ? out : nil, base: out)
            if let bias { y = try ctx.emit("add", [y, bias], as: out, base: out) }
            guard y.shape == x.shape else { throw ImportFailure("Scale \(Shape.describe(scale.shape)) and B do not broadcast to x \(Shape.describe(x.shape)) within its shape") }
        }
        var results = [y]
        if node.outputs.dropFirst().contains(where: { !$0.isEmpty }) {
            let axes = AttributeValue.ints(Array(a..<rank))
            let name = { (k: Int) -> String? in k < node.outputs.count && !node.outputs[k].isEmpty ? node.outputs[k] : nil }
            results.append(try ctx.emit("mean", attrs: ["axis": axes, "keepdims": .bool(true)], [x], as: name(1), base: out))
            let v = try ctx.emit("var", attrs: ["axis": axes, "keepdims": .bool(true), "correction": .int(0)], [x], base: out)
            let shifted = try ctx.emit("add", [v, .const(.scalar(eps))], base: out)
            results.append(try ctx.emit("rsqrt", [shifted], as: name(2), base: out))
        }
        return results
    }
}

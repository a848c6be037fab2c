import Autograd

/// `POST /graph`: a planned graph, after it ran, as Graphviz DOT — the request's tensors
/// as boxes (name, dtype and shape, `requires_grad`, and after the backward pass the L2
/// norm of the gradient), its ops as ellipses (id, op, output shape, and the value of a
/// scalar), an edge from each input to the op reading it (labelled with the op's input
/// name when it has several), the loss drawn with a double border.
///
/// Node names are synthetic (`t0` for the first tensor, `o0` for the first op to run), so
/// a request's names only ever appear inside quoted labels, escaped. Output is a pure
/// function of the request: the same request gives the same bytes.
struct GraphDOT<T: Scalar> {
    let plan: GraphPlan
    let executor: Executor<T>

    func write() -> [UInt8] {
        var out = "digraph autograd {\n"
        out += "  graph [rankdir=LR, fontname=\"Helvetica\", fontsize=10, labelloc=b, label=\"SwiftAutograd \(T.dtype.rawValue)\"];\n"
        out += "  node [fontname=\"Helvetica\", fontsize=11];\n"
        out += "  edge [fontname=\"Helvetica\", fontsize=9, color=\"#555555\"];\n"
        let tensors = plan.request.tensors
        var norms: [Int: Double] = [:]
        for (_, slot) in plan.gradients {
            norms[slot] = GraphDOTFormat.norm(executor.gradient(slot).data)
        }
        for (slot, t) in tensors.enumerated() {
            var lines = [GraphDOTFormat.name(t.name), "\(T.dtype.rawValue) \(Shape.describe(t.shape))"]
            let differentiable = slot < plan.differentiable.count && plan.differentiable[slot]
            if t.requiresGrad { lines.append("requires_grad") }
            if let norm = norms[slot] { lines.append("‖grad‖ = \(GraphDOTFormat.short(norm))") }
            let fill = differentiable ? "#fde2c8" : "#eeeeee"
            out += "  t\(slot) [shape=box, style=\"rounded,filled\", fillcolor=\"\(fill)\", label=\(GraphDOTFormat.label(lines))];\n"
        }
        for (k, step) in plan.steps.enumerated() {
            let slot = tensors.count + k
            let signature = type(of: step.operator).signature
            var lines = [GraphDOTFormat.name(step.op.id), signature.name, Shape.describe(step.shape)]
            if step.shape.isEmpty, slot < executor.values.count, let v = executor.values[slot]?.value.data.first {
                lines.append("= \(GraphDOTFormat.short(Double(v)))")
            }
            let isLoss = plan.loss == slot
            out += "  o\(k) [shape=ellipse, style=filled, fillcolor=\"\(isLoss ? "#f7c6c6" : "#d6e6f5")\""
            out += isLoss ? ", peripheries=2" : ""
            out += ", label=\(GraphDOTFormat.label(lines))];\n"
        }
        for (k, step) in plan.steps.enumerated() {
            let signature = type(of: step.operator).signature
            for (j, input) in step.inputs.enumerated() {
                let from = input < tensors.count ? "t\(input)" : "o\(input - tensors.count)"
                var edge = "  \(from) -> o\(k)"
                if step.inputs.count > 1 {
                    let role = j < signature.inputs.count ? signature.inputs[j] : "\(j)"
                    edge += " [label=\(GraphDOTFormat.label([role]))]"
                }
                out += edge + ";\n"
            }
        }
        out += "}\n"
        return Array(out.utf8)
    }
}

/// Label text for DOT: names, quoting, numbers.
enum GraphDOTFormat {
    /// Longest name shown; longer ones are cut with "…".
    static let maxNameLength = 48

    /// A request name for a label: at most `maxNameLength` characters, control characters
    /// shown as U+FFFD.
    static func name(_ s: String) -> String {
        var shown = String(s.unicodeScalars.prefix(maxNameLength).map { $0.properties.generalCategory == .control ? "\u{FFFD}" : Character($0) })
        if s.unicodeScalars.count > maxNameLength { shown += "…" }
        return shown
    }

    /// A quoted DOT string of `lines` joined by centred line breaks. Backslash and quote are
    /// escaped, so `\N`, `\G` and the like in a name stay literal.
    static func label(_ lines: [String]) -> String {
        var out = "\""
        for (i, line) in lines.enumerated() {
            if i > 0 { out += "\\n" }
            for c in line.unicodeScalars {
                switch c {
                case "\\": out += "\\\\"
                case "\"": out += "\\\""
                default: out.unicodeScalars.append(c)
                }
            }
        }
        return out + "\""
    }

    /// The L2 norm, scaled by the largest magnitude so that it neither overflows nor
    /// underflows; NaN if any element is NaN.
    static func norm<T: Scalar>(_ data: [T]) -> Double {
        var largest = 0.0
        for v in data {
            let a = Double(v).magnitude
            if a.isNaN { return .nan }
            largest = Swift.max(largest, a)
        }
        guard largest > 0, largest.isFinite else { return largest }
        var sum = 0.0
        for v in data {
            let s = Double(v) / largest
            sum += s * s
        }
        return largest * sum.squareRoot()
    }

    /// Four significant digits: `4.95`, `0.0001234`, `1.5e+07`, `nan`, `-inf`.
    static func short(_ v: Double) -> String {
        guard v.isFinite else { return v.isNaN ? "nan" : (v < 0 ? "-inf" : "inf") }
        if v == 0 { return "0" }
        var m = v.magnitude
        var e = 0
        while m >= 10 { m /= 10; e += 1 }
        while m < 1 { m *= 10; e -= 1 }
        var digits = Int((m * 1000).rounded())
        if digits >= 10_000 { digits /= 10; e += 1 }
        var text = String(digits)  // four digits, d.ddd × 10^e
        while text.count > 1 && text.hasSuffix("0") { text.removeLast() }
        let sign = v < 0 ? "-" : ""
        if e < -4 || e >= 7 {
            let mantissa = text.count > 1 ? "\(text.prefix(1)).\(text.dropFirst())" : text
            return "\(sign)\(mantissa)e\(e < 0 ? "-" : "+")\(e.magnitude < 10 ? "0" : "")\(e.magnitude)"
        }
        if e < 0 { return sign + "0." + String(repeating: "0", count: -e - 1) + text }
        if text.count <= e + 1 { return sign + text + String(repeating: "0", count: e + 1 - text.count) }
        return sign + text.prefix(e + 1) + "." + text.dropFirst(e + 1)
    }
}

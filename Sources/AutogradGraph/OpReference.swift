import Autograd

/// docs/ops.md, written from the op definitions (`GraphOps.all`): the same source as
/// `GET /ops` and the OpenAPI op enum, so the page cannot list an op the server lacks or
/// miss one it has. `make docs` writes it (`autograd-docs`); a test compares the committed
/// file with this text.
public enum OpReference {
    /// The whole page, Markdown, ending in one newline.
    public static func markdown() -> String {
        var out = header
        out += "| op | inputs | attributes (default) | fuses | |\n| --- | --- | --- | --- | --- |\n"
        for type in GraphOps.all {
            let s = type.signature
            let attributes = s.attributes.map { "`\($0.name)` = \(defaultText($0))" }.joined(separator: ", ")
            out += "| [`\(s.name)`](#\(s.name)) | \(s.inputs.joined(separator: ", ")) | \(cell(attributes)) "
            out += "| \(fusion(type).short) | \(cell(s.summary)) |\n"
        }
        out += notes
        for type in GraphOps.all { out += section(type) }
        return out
    }

    private static func section(_ type: any Operator.Type) -> String {
        let s = type.signature
        var out = "\n## `\(s.name)`\n\n\(sentence(s.summary))\n\n"
        out += "- Inputs: \(s.inputs.map { "`\($0)`" }.joined(separator: ", ")) (\(s.arity.description))\n"
        out += "- Output shape: \(s.shapeRule.map(sentence) ?? "not stated.")\n"
        out += "- PyTorch: \(s.pytorch.map { "`\($0)`" } ?? "not stated.")\n"
        out += "- Fuses: \(fusion(type).long)\n"
        if let notes = s.notes { out += "- Notes: \(sentence(notes))\n" }
        if s.attributes.isEmpty { return out }
        out += "\n| attribute | type | default | |\n| --- | --- | --- | --- |\n"
        for a in s.attributes {
            out += "| `\(a.name)` | \(cell(a.type.description)) | \(cell(defaultText(a))) | \(cell(a.summary)) |\n"
        }
        return out
    }

    /// Whether the graph format's fusion pass can take the op into a fused step, asked of
    /// the op built with its default attributes (`Operator.fusedInstruction`, and the
    /// closing sum `FusedElementwise.isFullSum` accepts).
    private static func fusion(_ type: any Operator.Type) -> (short: String, long: String) {
        let s = type.signature
        guard let op = try? type.init(attributes: .withDefaults([:], for: s)) else { return ("no", "no.") }
        let operands: Int
        switch s.arity {
        case .exactly(let n), .range(let n, _), .atLeast(let n): operands = n
        }
        if op.fusedInstruction(operands: Array(0..<operands)) != nil {
            return ("yes", "yes: one instruction of a fused elementwise chain (operands of one shape or of one element).")
        }
        if FusedElementwise.isFullSum(op, inputShape: [2, 3]) {
            return ("as a closing sum", "as the closing sum of a fused chain, when it sums every element without keepdims.")
        }
        return ("no", "no.")
    }

    private static func defaultText(_ a: AttributeSpec) -> String {
        guard let d = a.defaultValue else { return "required" }
        switch d {
        case .null: return "null"
        case .int(let i): return "\(i)"
        case .ints(let v): return list(v)
        case .intLists(let v): return "[" + v.map(list).joined(separator: ", ") + "]"
        case .number(let x): return x == x.rounded() && abs(x) < 1e15 ? "\(Int(x))" : "\(x)"
        case .bool(let b): return "\(b)"
        case .string(let t): return "\"\(t)\""
        }
    }

    private static func list(_ v: [Int]) -> String { "[" + v.map(String.init).joined(separator: ", ") + "]" }

    /// A Markdown table cell: `|` escaped.
    private static func cell(_ text: String) -> String {
        text.split(separator: "|", omittingEmptySubsequences: false).joined(separator: "\\|")
    }

    /// Ending in a full stop (not capitalised: many start with a variable's name).
    private static func sentence(_ text: String) -> String { text.hasSuffix(".") ? text : text + "." }

    private static let header = """
        <!-- Generated from the op definitions (GraphOps.all) by `make docs`; do not edit. -->
        # Ops

        This page is for anyone writing a graph by hand or generating one: every op the server and
        the `Autograd` library offer, with its inputs, attributes and defaults, the shape of its
        output, the PyTorch function whose values and gradients it matches (checked against
        committed PyTorch fixtures), and whether the graph format can fuse it into one pass over
        memory. The page is generated from the op definitions, the registry `GET /ops` answers
        from and the OpenAPI op enum is checked against (`Operators.all` in
        [`Sources/Autograd/Operators.swift`](../Sources/Autograd/Operators.swift), then the graph
        op [`grad`](#grad), which differentiates the graph itself: [higher-order.md](higher-order.md)); `make docs`
        rewrites it and `make test` fails when it is out of date. How a graph names its inputs
        and attributes is in [wire-format.md](wire-format.md). Semantics are PyTorch's unless
        noted; attribute names are NumPy's.


        """

    private static let notes = """

        `reduction` is `"mean"`, `"sum"` or `"none"` for every loss. `axis: []` reduces over no
        axes (NumPy's reading; PyTorch reads an empty list as all axes). Values and gradients at
        logits of ±1000 are finite and equal PyTorch's in both precisions. Ops marked "fuses" are
        run by the graph format as one fused step when they form a chain of one shape whose
        intermediate values no one asked for ([architecture.md](architecture.md#a-requests-path)).

        The semantics decided where PyTorch and NumPy differ or PyTorch leaves a choice (slice
        defaults, ties, subgradients at kinks, `pow` at 0, softplus's threshold, cross-entropy's
        targets) are listed with the reference fixtures in
        [`Tests/Fixtures/README.md`](../Tests/Fixtures/README.md#semantics-decided-here-all-follow-torch).

        """
}

import Autograd

/// Einsum over letters (no ellipsis, no letter twice in one operand): the forms exporters
/// emit for attention and projections (`bhid,bhjd->bhij`, `bij,bjk->bik`, `ij->ji`, `i,i`).
/// Letters no other operand and not the output use are summed first (`sum`); then the
/// operands fold left to right, each pair as one batched `matmul` between `transpose`s and
/// `reshape`s ([batch, free of A, contracted] times [batch, contracted, free of B]); a
/// last `transpose` puts the output's letters in order. Gradients come from those ops.
extension ONNXOps {
    static func addEinsum(_ t: inout [String: ONNXOp]) {
        t["Einsum"] = einsum
    }

    /// An operand during the fold: its value and the letter of each axis.
    private struct Term {
        var value: Operand
        var letters: [Character]
    }

    private static let einsum = ONNXOp(["equation"]) { ctx, node throws(ImportFailure) in
        let equation = try node.string("equation", "").filter { !$0.isWhitespace }
        let out = node.outputs[0]
        let sides = equation.components(separatedBy: "->")
        guard sides.count <= 2, !equation.contains("...") else {
            throw ImportFailure("attribute \"equation\" \"\(equation.prefix(64))\": only letters, commas and one -> are supported (no ellipsis)")
        }
        let lhs = sides[0].split(separator: ",", omittingEmptySubsequences: false).map { Array($0) }
        var operands: [Operand] = []
        for i in node.inputs.indices where node.has(i) { operands.append(try ctx.input(node, i)) }
        guard lhs.count == operands.count else {
            throw ImportFailure("the equation has \(lhs.count) operands; the node has \(operands.count) inputs")
        }
        var size: [Character: Int] = [:]
        var count: [Character: Int] = [:]
        for (k, letters) in lhs.enumerated() {
            guard letters.allSatisfy({ $0.isASCII && $0.isLetter }), Set(letters).count == letters.count else {
                throw ImportFailure("operand \(k) \"\(String(letters).prefix(32))\": letters only, none twice (a diagonal is not supported)")
            }
            guard letters.count == operands[k].shape.count else {
                throw ImportFailure("operand \(k) \"\(String(letters))\" has \(letters.count) letters; input \(k) has rank \(operands[k].shape.count)")
            }
            for (c, d) in zip(letters, operands[k].shape) {
                if let s = size[c], s != d { throw ImportFailure("letter \(c) is \(s) long in one operand and \(d) in another") }
                size[c] = d
                count[c, default: 0] += 1
            }
        }
        // Implicit output: the letters used once, in alphabetical order.
        let output = sides.count == 2 ? Array(sides[1]) : count.filter { $0.value == 1 }.map(\.key).sorted()
        guard Set(output).count == output.count, output.allSatisfy({ size[$0] != nil }) else {
            throw ImportFailure("the output \"\(String(output).prefix(32))\" repeats a letter or names one no operand has")
        }

        var terms = zip(operands, lhs).map { Term(value: $0, letters: $1) }
        // Sum out what only one operand has and the output does not.
        for k in terms.indices {
            let elsewhere = Set(output).union(terms.indices.filter { $0 != k }.flatMap { terms[$0].letters })
            terms[k] = try sumOut(&ctx, terms[k], keeping: elsewhere, out)
        }
        var acc = terms[0]
        for k in terms.indices.dropFirst() {
            let keep = Set(output).union(terms[(k + 1)...].flatMap(\.letters))
            acc = try sumOut(&ctx, acc, keeping: keep.union(terms[k].letters), out)
            let b = try sumOut(&ctx, terms[k], keeping: keep.union(acc.letters), out)
            acc = try contract(&ctx, acc, b, keep: keep, size: size, out)
        }
        acc = try sumOut(&ctx, acc, keeping: Set(output), out)
        let perm = output.compactMap { acc.letters.firstIndex(of: $0) }
        if perm != Array(acc.letters.indices) {
            acc.value = try ctx.emit("transpose", attrs: ["perm": .ints(perm)], [acc.value], base: out)
        }
        return [acc.value]
    }

    /// `term` with the letters not in `keeping` summed out.
    private static func sumOut(_ ctx: inout ModelImport, _ term: Term, keeping: Set<Character>, _ base: String) throws(ImportFailure) -> Term {
        let axes = term.letters.indices.filter { !keeping.contains(term.letters[$0]) }
        guard !axes.isEmpty else { return term }
        let value = try ctx.emit("sum", attrs: ["axis": .ints(axes), "keepdims": .bool(false)], [term.value], base: base)
        return Term(value: value, letters: term.letters.enumerated().filter { !axes.contains($0.offset) }.map(\.element))
    }

    /// a and b (their lone letters already summed) as one batched matmul: the result's
    /// letters are the batch letters (in both, kept), then a's free ones, then b's.
    private static func contract(
        _ ctx: inout ModelImport, _ a: Term, _ b: Term, keep: Set<Character>, size: [Character: Int], _ base: String
    ) throws(ImportFailure) -> Term {
        let shared = a.letters.filter { b.letters.contains($0) }
        let batch = shared.filter { keep.contains($0) }
        let contracted = shared.filter { !keep.contains($0) }
        let freeA = a.letters.filter { !b.letters.contains($0) }
        let freeB = b.letters.filter { !a.letters.contains($0) }
        func product(_ letters: [Character]) -> Int { letters.reduce(1) { $0 * (size[$1] ?? 1) } }
        func arrange(_ t: Term, _ order: [Character], _ shape: [Int]) throws(ImportFailure) -> Operand {
            var v = t.value
            let perm = order.compactMap { t.letters.firstIndex(of: $0) }
            if perm != Array(t.letters.indices) { v = try ctx.emit("transpose", attrs: ["perm": .ints(perm)], [v], base: base) }
            return try ctx.emit("reshape", attrs: ["shape": .ints(shape)], [v], base: base)
        }
        let (nb, nk, na, nf) = (product(batch), product(contracted), product(freeA), product(freeB))
        let x = try arrange(a, batch + freeA + contracted, [nb, na, nk])
        let y = try arrange(b, batch + contracted + freeB, [nb, nk, nf])
        var z = try ctx.emit("matmul", [x, y], base: base)
        let letters = batch + freeA + freeB
        z = try ctx.emit("reshape", attrs: ["shape": .ints(letters.map { size[$0] ?? 1 })], [z], base: base)
        return Term(value: z, letters: letters)
    }
}

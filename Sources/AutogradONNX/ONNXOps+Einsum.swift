import Autograd

/// Einsum: the forms exporters emit for attention and projections (`bhid,bhjd->bhij`,
/// `bij,bjk->bik`, `ij->ji`, `i,i`), an ellipsis (as fresh letters, aligned from the right;
/// sizes must agree, no broadcasting of 1) and a letter twice in one operand (a diagonal,
/// by `take`).
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
        guard sides.count <= 2 else {
            throw ImportFailure("attribute \"equation\" \"\(equation.prefix(64))\": more than one ->")
        }
        let written = sides[0].components(separatedBy: ",")
        var operands: [Operand] = []
        for i in node.inputs.indices where node.has(i) { operands.append(try ctx.input(node, i)) }
        guard written.count == operands.count else {
            throw ImportFailure("the equation has \(written.count) operands; the node has \(operands.count) inputs")
        }
        // An ellipsis stands for the axes no letter names, aligned from the right across the
        // operands (as NumPy): each becomes letters the equation does not use.
        let unused = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz").filter { !equation.contains($0) }
        var ellipsisRanks: [Int] = []
        for (k, text) in written.enumerated() {
            let parts = text.components(separatedBy: "...")
            guard parts.count <= 2 else { throw ImportFailure("operand \(k) \"\(text.prefix(32))\" has more than one ellipsis") }
            let letters = parts.joined().count
            let e = parts.count == 2 ? operands[k].shape.count - letters : 0
            guard e >= 0, parts.count == 2 || letters == operands[k].shape.count else {
                throw ImportFailure("operand \(k) \"\(text.prefix(32))\" has \(letters) letters; input \(k) has rank \(operands[k].shape.count)")
            }
            ellipsisRanks.append(e)
        }
        let fresh = Array(unused.prefix(ellipsisRanks.max() ?? 0))
        guard fresh.count == (ellipsisRanks.max() ?? 0) else { throw ImportFailure("the ellipsis covers more axes than there are free letters") }
        let lhs = zip(written, ellipsisRanks).map { text, e in
            Array(text.replacingOccurrences(of: "...", with: String(fresh.suffix(e))))
        }
        var size: [Character: Int] = [:]
        var count: [Character: Int] = [:]
        for (k, letters) in lhs.enumerated() {
            guard letters.allSatisfy({ $0.isASCII && $0.isLetter }) else {
                throw ImportFailure("operand \(k) \"\(written[k].prefix(32))\": only letters and one ellipsis are supported")
            }
            for (c, d) in zip(letters, operands[k].shape) {
                if let s = size[c], s != d { throw ImportFailure("letter \(c) is \(s) long in one place and \(d) in another") }
                size[c] = d
                count[c, default: 0] += 1
            }
        }
        // Implicit output: the ellipsis's axes, then the letters used once, in alphabetical order.
        let output: [Character]
        if sides.count == 2 {
            let rhs = sides[1]
            guard rhs.components(separatedBy: "...").count <= 2 else { throw ImportFailure("the output has more than one ellipsis") }
            output = Array(rhs.replacingOccurrences(of: "...", with: String(fresh)))
        } else {
            output = fresh + count.filter { $0.value == 1 && !fresh.contains($0.key) }.map(\.key).sorted()
        }
        guard Set(output).count == output.count, output.allSatisfy({ size[$0] != nil }) else {
            throw ImportFailure("the output \"\(String(output).prefix(32))\" repeats a letter or names one no operand has")
        }

        // A letter twice in one operand takes the diagonal: the two axes side by side, as
        // one axis of n * n, from which `take` picks 0, n + 1, 2 (n + 1), ...
        var lhsDiagonal: [[Character]] = []
        for k in operands.indices {
            var letters = lhs[k]
            while let q = letters.indices.first(where: { letters[..<$0].contains(letters[$0]) }) {
                let p = letters.firstIndex(of: letters[q])!
                var order = Array(letters.indices)
                order.remove(at: q)
                order.insert(q, at: p + 1)
                if order != Array(letters.indices) {
                    operands[k] = try ctx.emit("transpose", attrs: ["perm": .ints(order)], [operands[k]], base: out)
                    letters = order.map { letters[$0] }
                }
                let n = operands[k].shape[p]
                var shape = operands[k].shape
                shape.replaceSubrange(p...(p + 1), with: [n * n])
                operands[k] = try ctx.emit("reshape", attrs: ["shape": .ints(shape)], [operands[k]], base: out)
                let diagonal = Constant.ints((0..<n).map { $0 * (n + 1) })
                operands[k] = try ctx.emit("take", attrs: ["axis": .int(p)], [operands[k], .const(diagonal)], base: out)
                letters.remove(at: p + 1)
            }
            lhsDiagonal.append(letters)
        }
        var terms = zip(operands, lhsDiagonal).map { Term(value: $0, letters: $1) }
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

import Autograd

/// Op-table rows for the Loss ops.
let lossCases: [OpCase] = {
    var cases: [OpCase] = []
    for r in ["mean", "sum", "none"] {
        for smoothing in [0, 0.1] {
            let attrs: [String: AttributeValue] = ["reduction": .string(r), "label_smoothing": .number(smoothing)]
            // Class indices: a constant input of valid, integral classes.
            cases.append(
                OpCase("cross_entropy", [[4, 3], [4]], attrs: attrs, constant: [1], fixed: [1: [0, 2, 1, 2]]))
            // Class probabilities: rows that sum to 1, and a target of which torch asks nothing.
            cases.append(
                OpCase("cross_entropy", [[4, 3], [4, 3]], attrs: attrs, fixed: [1: probabilityRows(4, 3, seed: 3)]))
            cases.append(OpCase("cross_entropy", [[3, 4], [3, 4]], attrs: attrs, ranges: [-2...2, 0...1]))
            // A single sample, as torch accepts it.
            cases.append(OpCase("cross_entropy", [[5], []], attrs: attrs, constant: [1], fixed: [1: [3]]))
            cases.append(OpCase("cross_entropy", [[5], [5]], attrs: attrs, fixed: [1: probabilityRows(1, 5, seed: 4)]))
        }
        let reduction: [String: AttributeValue] = ["reduction": .string(r)]
        cases.append(OpCase("binary_cross_entropy", [[3, 4], [3, 4]], attrs: reduction, ranges: [0.05...0.95, 0...1]))
        cases.append(OpCase("binary_cross_entropy_with_logits", [[3, 4], [3, 4]], attrs: reduction, ranges: [-3...3, 0...1]))
    }
    // One class, and the defaults.
    cases.append(OpCase("cross_entropy", [[2, 1], [2]], constant: [1], fixed: [1: [0, 0]]))
    cases.append(OpCase("binary_cross_entropy", [[], []], ranges: [0.05...0.95, 0...1]))
    cases.append(OpCase("binary_cross_entropy_with_logits", [[], []], ranges: [-3...3, 0...1]))
    return cases
}()

/// `n` rows of `c` positive values that each sum to 1, from a fixed seed.
private func probabilityRows(_ n: Int, _ c: Int, seed: UInt64) -> [Double] {
    let raw = randomArray([n, c], in: 0.1...1, seed: seed).data
    return (0..<n).flatMap { i in
        let row = raw[i * c..<(i + 1) * c]
        let total = row.reduce(0, +)
        return row.map { $0 / total }
    }
}

import Autograd

/// Op-table rows for the indexing, shape and loss ops of issue 10 (ops-index).
/// Index inputs are constant and fixed to valid integers, repeats included, so the
/// scatter-added gradients are checked where two picks land on one element.
let indexCases: [OpCase] = {
    var cases: [OpCase] = []
    let axes: [([Int], AttributeValue)] = [
        ([2, 1, 3, 1], .null), ([2, 1, 3, 1], .int(1)), ([2, 1, 3, 1], .int(-1)),
        ([2, 1, 3, 1], .ints([1, 3])), ([2, 1, 3], .int(0)), ([1], .null), ([], .null), ([], .int(0)),
    ]
    for (shape, axis) in axes { cases.append(OpCase("squeeze", [shape], attrs: ["axis": axis])) }
    for (shape, axis) in [([2, 3], 0), ([2, 3], 2), ([2, 3], -1), ([2, 3], -3), ([], 0), ([4], -2)] {
        cases.append(OpCase("unsqueeze", [shape], attrs: ["axis": .int(axis)]))
    }
    for (from, to) in [
        ([3], [2, 3]), ([2, 1], [2, 4]), ([1, 3, 1], [2, 3, 2]), ([], [2, 2]), ([2, 1], [-1, 3]),
        ([2, 3], [2, 3]), ([1], [0]),
    ] {
        cases.append(OpCase("broadcast_to", [from], attrs: ["shape": .ints(to)]))
    }
    cases.append(OpCase("stack", [[2, 3]]))
    cases.append(OpCase("stack", [[2, 3], [2, 3], [2, 3]], attrs: ["axis": .int(1)]))
    cases.append(OpCase("stack", [[2, 3], [2, 3]], attrs: ["axis": .int(-1)]))
    cases.append(OpCase("stack", [[2, 3], [2, 3]], attrs: ["axis": .int(2)]))
    cases.append(OpCase("stack", [[], []]))
    for (shape, pairs, value) in [
        ([2, 3], [[1, 2], [0, 1]], 0.0), ([2, 3], [[1, 1]], 1.5), ([4, 5], [[-1, 0], [1, -2]], -1.0),
        ([3], [[-3, 0]], 0.0), ([2, 3, 2], [[0, 0], [2, 0], [0, 3]], 0.5), ([], [], 0.0),
    ] {
        cases.append(OpCase("pad", [shape], attrs: ["pad_width": pairs.isEmpty ? .ints([]) : .intLists(pairs), "value": .number(value)]))
    }
    for (shape, axis) in [
        ([2, 3, 4], AttributeValue.null), ([2, 3, 4], .int(1)), ([2, 3, 4], .ints([0, 2])),
        ([2, 3, 4], .int(-1)), ([5], .int(0)), ([], .null),
    ] {
        cases.append(OpCase("flip", [shape], attrs: ["axis": axis]))
    }
    let idx: (Int) -> Set<Int> = { [$0] }
    cases.append(OpCase("take", [[5, 3], [4]], constant: idx(1), fixed: [1: [4, 0, 4, -1]]))
    cases.append(OpCase("take", [[2, 5], [2, 2]], attrs: ["axis": .int(1)], constant: idx(1), fixed: [1: [1, -5, 3, 1]]))
    cases.append(OpCase("take", [[2, 3, 4], []], attrs: ["axis": .int(-1)], constant: idx(1), fixed: [1: [2]]))
    cases.append(OpCase("take", [[4], [0]], constant: idx(1), fixed: [1: []]))
    cases.append(OpCase("gather", [[3, 4], [3, 2]], attrs: ["axis": .int(1)], constant: idx(1), fixed: [1: [0, 3, 2, 2, 1, 0]]))
    cases.append(OpCase("gather", [[3, 4], [2, 4]], attrs: ["axis": .int(0)], constant: idx(1), fixed: [1: [0, 1, 2, 0, 2, 2, 1, 1]]))
    cases.append(OpCase("gather", [[2, 3, 4], [2, 2, 3]], attrs: ["axis": .int(-1)], constant: idx(1), fixed: [1: [0, 1, 3, 3, 3, 3, 2, 0, 1, 1, 1, 1]]))
    cases.append(OpCase("gather", [[], []], attrs: ["axis": .int(0)], constant: idx(1), fixed: [1: [0]]))
    cases.append(OpCase("embedding", [[5, 3], [4]], constant: idx(1), fixed: [1: [1, 4, 1, 0]]))
    cases.append(OpCase("embedding", [[4, 2], [2, 3]], constant: idx(1), fixed: [1: [3, 3, 0, 2, 1, 3]]))
    cases.append(OpCase("embedding", [[3, 4], []], constant: idx(1), fixed: [1: [2]]))
    for (shape, p) in [([4, 5], 0.5), ([3, 4], 0.0), ([3, 4], 1.0), ([], 0.3), ([2, 3, 4], 0.8)] {
        cases.append(OpCase("dropout", [shape], attrs: ["p": .number(p), "seed": .int(11)]))
    }
    cases += classLossRows + distanceLossRows
    return cases
}()

/// cross_entropy's weight, ignore_index and [N, C, d...] forms, and nll_loss: targets and
/// class weights are constant inputs.
private let classLossRows: [OpCase] = {
    var cases: [OpCase] = []
    let weight: [Double] = [0.5, 2, 1.5]
    for r in ["mean", "sum", "none"] {
        for smoothing in [0, 0.1] {
            let attrs: [String: AttributeValue] = ["reduction": .string(r), "label_smoothing": .number(smoothing)]
            cases.append(OpCase("cross_entropy", [[4, 3], [4], [3]], attrs: attrs, constant: [1, 2], fixed: [1: [0, 2, 1, 2], 2: weight]))
            cases.append(OpCase("cross_entropy", [[5, 3], [5]], attrs: attrs, constant: [1], fixed: [1: [0, -100, 1, 2, -100]]))
            cases.append(OpCase("cross_entropy", [[5, 3], [5], [3]], attrs: attrs.merging(["ignore_index": .int(1)]) { $1 }, constant: [1, 2], fixed: [1: [0, 1, 1, 2, 0], 2: weight]))
            cases.append(OpCase("cross_entropy", [[2, 3, 4], [2, 4]], attrs: attrs, constant: [1], fixed: [1: [0, 2, 1, 2, 1, 1, 0, 2]]))
            cases.append(OpCase("cross_entropy", [[2, 3, 2, 2], [2, 2, 2], [3]], attrs: attrs, constant: [1, 2], fixed: [1: [0, 2, -100, 2, 1, 1, 0, 2], 2: weight]))
            cases.append(OpCase("cross_entropy", [[2, 3, 4], [2, 3, 4]], attrs: attrs, ranges: [-2...2, 0...1]))
            cases.append(OpCase("cross_entropy", [[4, 3], [4, 3], [3]], attrs: attrs, ranges: [-2...2, 0...1], constant: [2], fixed: [2: weight]))
        }
        let red: [String: AttributeValue] = ["reduction": .string(r)]
        cases.append(OpCase("nll_loss", [[4, 3], [4]], attrs: red, constant: [1], fixed: [1: [0, 2, 1, 2]]))
        cases.append(OpCase("nll_loss", [[4, 3], [4], [3]], attrs: red, constant: [1, 2], fixed: [1: [0, 2, -100, 1], 2: weight]))
        cases.append(OpCase("nll_loss", [[2, 3, 2, 2], [2, 2, 2], [3]], attrs: red.merging(["ignore_index": .int(0)]) { $1 }, constant: [1, 2], fixed: [1: [0, 2, 1, 2, 1, 1, 0, 2], 2: weight]))
    }
    cases.append(OpCase("nll_loss", [[3], []], constant: [1], fixed: [1: [2]]))
    return cases
}()

/// l1_loss, smooth_l1_loss, huber_loss and kl_div over every reduction and attribute.
private let distanceLossRows: [OpCase] = {
    var cases: [OpCase] = []
    for r in ["mean", "sum", "none"] {
        let red: [String: AttributeValue] = ["reduction": .string(r)]
        cases.append(OpCase("l1_loss", [[3, 4], [3, 4]], attrs: red))
        for beta in [1.0, 0.5, 0.0] {
            cases.append(OpCase("smooth_l1_loss", [[3, 4], [3, 4]], attrs: red.merging(["beta": .number(beta)]) { $1 }))
        }
        for delta in [1.0, 0.3, 2.5] {
            cases.append(OpCase("huber_loss", [[3, 4], [3, 4]], attrs: red.merging(["delta": .number(delta)]) { $1 }))
        }
    }
    for r in ["mean", "sum", "none", "batchmean"] {
        for logTarget in [false, true] {
            let attrs: [String: AttributeValue] = ["reduction": .string(r), "log_target": .bool(logTarget)]
            cases.append(OpCase("kl_div", [[3, 4], [3, 4]], attrs: attrs, ranges: [-3...0, logTarget ? -3...0 : 0.05...1]))
        }
    }
    for op in ["l1_loss", "smooth_l1_loss", "huber_loss"] { cases.append(OpCase(op, [[], []])) }
    cases.append(OpCase("kl_div", [[], []], ranges: [-2...0, 0.1...1]))
    return cases
}()

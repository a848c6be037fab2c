import Autograd

/// Op-table rows for the indexing and shape ops of issue 10 (squeeze ... embedding).
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
    return cases
}()

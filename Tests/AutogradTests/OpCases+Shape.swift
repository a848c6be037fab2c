import Autograd

/// Op-table rows for softmax, the max/min reductions, the shape ops and N-D matmul.
/// Random inputs have no ties, so amax and amin are differentiable where they are checked.
let shapeCases: [OpCase] = {
    var cases: [OpCase] = []
    for op in ["softmax", "log_softmax"] {
        cases.append(OpCase(op, [[2, 3, 4]]))
        cases.append(OpCase(op, [[2, 3, 4]], attrs: ["axis": .int(0)]))
        cases.append(OpCase(op, [[2, 3, 4]], attrs: ["axis": .int(1)]))
        cases.append(OpCase(op, [[2, 3, 4]], attrs: ["axis": .int(-2)]))
        cases.append(OpCase(op, [[5]], ranges: [-20...20]))
        cases.append(OpCase(op, [[3, 1]], attrs: ["axis": .int(-1)]))
        cases.append(OpCase(op, [[]]))
    }
    for op in ["amax", "amin"] {
        cases.append(OpCase(op, [[2, 3, 4]]))
        cases.append(OpCase(op, [[2, 3, 4]], attrs: ["axis": .int(1)]))
        cases.append(OpCase(op, [[2, 3, 4]], attrs: ["axis": .int(-1), "keepdims": .bool(true)]))
        cases.append(OpCase(op, [[2, 3, 4]], attrs: ["axis": .ints([0, 2])]))
        cases.append(OpCase(op, [[2, 3, 4]], attrs: ["axis": .ints([-3, -2]), "keepdims": .bool(true)]))
        cases.append(OpCase(op, [[2, 1, 4]], attrs: ["axis": .ints([-2]), "keepdims": .bool(true)]))
        cases.append(OpCase(op, [[5]], attrs: ["axis": .int(0)]))
        cases.append(OpCase(op, [[]]))
    }
    for (from, to) in [
        ([2, 3, 4], [6, 4]), ([2, 3, 4], [-1]), ([2, 3, 4], [4, -1, 2]), ([6], [2, -1]),
        ([2, 3], [3, 1, 2]), ([], [1, 1]), ([1], []), ([0, 3], [3, 0]),
    ] {
        cases.append(OpCase("reshape", [from], attrs: ["shape": .ints(to)]))
    }
    cases.append(OpCase("transpose", [[2, 3, 4]]))
    cases.append(OpCase("transpose", [[2, 3]]))
    cases.append(OpCase("transpose", [[3]]))
    cases.append(OpCase("transpose", [[]]))
    cases.append(OpCase("transpose", [[2, 3, 4]], attrs: ["perm": .ints([1, 0, 2])]))
    cases.append(OpCase("transpose", [[2, 3, 4]], attrs: ["perm": .ints([-1, 0, 1])]))
    cases.append(OpCase("transpose", [[2, 3, 4, 2]], attrs: ["perm": .ints([2, 0, 3, 1])]))
    cases.append(OpCase("transpose", [[2, 3]], attrs: ["perm": .ints([0, 1])]))
    cases.append(OpCase("concat", [[2, 3]]))
    cases.append(OpCase("concat", [[2, 3], [4, 3]]))
    cases.append(OpCase("concat", [[2, 3], [2, 1]], attrs: ["axis": .int(1)]))
    cases.append(OpCase("concat", [[2, 3, 1], [2, 3, 2], [2, 3, 4]], attrs: ["axis": .int(-1)]))
    cases.append(OpCase("concat", [[2, 1, 4], [2, 3, 4], [2, 2, 4]], attrs: ["axis": .int(1)]))
    cases.append(OpCase("concat", [[1, 2, 2], [3, 2, 2], [2, 2, 2]], attrs: ["axis": .int(-3)]))
    cases.append(OpCase("concat", [[3], [2]]))
    cases.append(OpCase("concat", [[2, 0], [2, 3]], attrs: ["axis": .int(1)]))
    let slices: [([Int], [String: AttributeValue])] = [
        ([5, 3], [:]),
        ([5, 3], ["start": .int(1), "stop": .int(4)]),
        ([5, 3], ["start": .int(-3), "stop": .null]),
        ([5, 3], ["stop": .int(-1)]),
        ([5, 3], ["start": .int(-10), "stop": .int(10)]),
        ([5, 3], ["step": .int(2)]),
        ([5, 3], ["start": .int(4), "stop": .int(2)]),
        ([2, 6, 2], ["axis": .int(1), "start": .int(1), "step": .int(2)]),
        ([2, 3, 6], ["axis": .int(-1), "start": .int(-5), "stop": .int(-1), "step": .int(3)]),
        ([7], ["start": .int(2), "step": .int(10)]),
    ]
    for (shape, attrs) in slices { cases.append(OpCase("slice", [shape], attrs: attrs)) }
    for (a, b) in [
        ([4], [4]), ([4], [4, 3]), ([3, 4], [4]), ([2, 3, 4], [4, 5]), ([3, 4], [2, 4, 5]),
        ([2, 1, 3, 4], [5, 4, 2]), ([4], [2, 4, 3]), ([2, 3, 4], [4]), ([2, 3, 4], [2, 4, 5]),
        ([1, 3, 4], [2, 4, 2]), ([2, 3, 4], [1, 4, 2]), ([2, 3, 0], [0, 2]),
    ] {
        cases.append(OpCase("matmul", [a, b]))
    }
    return cases
}()

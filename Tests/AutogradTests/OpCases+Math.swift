import Autograd

/// Op-table rows for issue 10's elementwise math (ops-elem): every op over a few shapes,
/// every attribute, ranges away from poles (log1p at -1, rsqrt at 0) and kinks (clamp's
/// bounds, elu and sign at 0 are left to random values, which miss them by far more than ε).
let mathCases: [OpCase] = {
    var cases: [OpCase] = []
    let shapes: [[Int]] = [[2, 3], [], [3, 1, 4]]
    for shape in shapes {
        for op in ["sin", "cos", "erf", "expm1", "square", "sign", "silu", "elu"] {
            cases.append(OpCase(op, [shape], ranges: [-3...3]))
        }
        cases.append(OpCase("log1p", [shape], ranges: [-0.5...3]))
        cases.append(OpCase("rsqrt", [shape], ranges: [0.3...3]))
        cases.append(OpCase("elu", [shape], attrs: ["alpha": .number(0.5)], ranges: [-3...3]))
        cases.append(OpCase("clamp", [shape], attrs: ["min": .number(-0.5), "max": .number(0.75)]))
        cases.append(OpCase("clamp", [shape], attrs: ["min": .number(-0.3)]))
        cases.append(OpCase("clamp", [shape], attrs: ["min": .null, "max": .int(1)]))
    }
    cases.append(OpCase("clamp", [[2, 3]], attrs: ["min": .number(1), "max": .number(-1)]))
    // Comparisons (zero gradients, which finite differences away from ties confirm) and
    // where (the condition, drawn away from 0, gets zero too).
    let pairs: [([Int], [Int])] = [([2, 3], [2, 3]), ([], [2, 3]), ([2, 3], [3]), ([4, 1], [1, 5])]
    for op in ["greater", "greater_equal", "less", "less_equal", "equal", "not_equal"] {
        for (a, b) in pairs { cases.append(OpCase(op, [a, b])) }
    }
    cases.append(OpCase("where", [[2, 3], [2, 3], [2, 3]]))
    cases.append(OpCase("where", [[3], [2, 1], []]))
    cases.append(OpCase("where", [[2, 1, 3], [4, 1], [1, 3]]))
    cases.append(OpCase("where", [[2, 3], [2, 3], [2, 3]], constant: [0], fixed: [0: [0, 1, 0, -2, 0, 0.5]]))
    // Reductions: all axes, one, several, negative, keepdims, 0-d.
    let reductions: [([Int], [String: AttributeValue])] = [
        ([2, 3, 4], [:]), ([2, 3, 4], ["axis": .int(1)]), ([2, 3, 4], ["axis": .int(-1), "keepdims": .bool(true)]),
        ([2, 3, 4], ["axis": .ints([0, 2])]), ([5], ["axis": .int(0)]), ([], [:]),
    ]
    for (shape, attrs) in reductions {
        cases.append(OpCase("logsumexp", [shape], attrs: attrs))
        for op in ["var", "std"] where shape != [] {
            cases.append(OpCase(op, [shape], attrs: attrs))
            cases.append(OpCase(op, [shape], attrs: attrs.merging(["correction": .number(0)]) { $1 }))
        }
        cases.append(OpCase("norm", [shape], attrs: attrs))
        cases.append(OpCase("norm", [shape], attrs: attrs.merging(["ord": .int(1)]) { $1 }))
        // The largest magnitude is unique in random data; ties are left to the fixtures.
        cases.append(OpCase("norm", [shape], attrs: attrs.merging(["ord": .string("inf")]) { $1 }))
    }
    cases.append(OpCase("logsumexp", [[2, 3]], attrs: ["axis": .int(1)], ranges: [900...1000]))
    for (shape, axis) in [([5], 0), ([2, 3], 1), ([2, 3, 4], -2), ([], 0)] {
        cases.append(OpCase("cumsum", [shape], attrs: ["axis": .int(axis)]))
        cases.append(OpCase("argmax", [shape], attrs: ["axis": .int(axis)]))
        cases.append(OpCase("argmin", [shape], attrs: ["axis": .int(axis), "keepdims": .bool(true)]))
    }
    cases.append(OpCase("cosine_similarity", [[4, 5], [4, 5]]))
    cases.append(OpCase("cosine_similarity", [[2, 3, 4], [3, 4]], attrs: ["axis": .int(-1)]))
    cases.append(OpCase("cosine_similarity", [[6], [6]], attrs: ["axis": .int(0)]))
    // Not below eps: there torch's gradient treats the clamped norm as the norm (the clamp
    // is outside its autograd), which is not the derivative finite differences measure;
    // the fixtures (tiny_and_zero_norms) hold that branch to torch's values.
    return cases
}()

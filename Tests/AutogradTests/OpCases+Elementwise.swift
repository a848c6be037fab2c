import Autograd

/// Op-table rows for the Elementwise ops: the binary ones over the broadcasting pairs of
/// `opCases`, the unary ones over a few shapes, every attribute value, and ranges away
/// from poles (log, sqrt, pow's base on 0.5...3). Kinks (abs, relu, leaky_relu, maximum,
/// minimum at ties) are left to random values, which miss them by far more than ε.
let elementwiseCases: [OpCase] = {
    var cases: [OpCase] = []
    let broadcastPairs: [([Int], [Int])] = [
        ([2, 3], [2, 3]), ([], [2, 3]), ([2, 3], []), ([1], [3]), ([3, 1, 4], [2, 1]),
        ([2, 3], [3]), ([4, 1], [1, 5]), ([2, 1, 3], [1, 4, 1]), ([1, 1], [2, 1, 1]),
    ]
    for (a, b) in broadcastPairs {
        cases.append(OpCase("pow", [a, b], ranges: [0.5...3, -2...2]))
        cases.append(OpCase("maximum", [a, b]))
        cases.append(OpCase("minimum", [a, b]))
    }
    let shapes: [[Int]] = [[2, 3], [], [3, 1, 4]]
    for shape in shapes {
        cases.append(OpCase("exp", [shape]))
        cases.append(OpCase("log", [shape], ranges: [0.5...3]))
        cases.append(OpCase("sqrt", [shape], ranges: [0.5...3]))
        cases.append(OpCase("abs", [shape]))
        cases.append(OpCase("relu", [shape]))
        cases.append(OpCase("sigmoid", [shape], ranges: [-4...4]))
        cases.append(OpCase("tanh", [shape], ranges: [-3...3]))
        cases.append(OpCase("softplus", [shape], ranges: [-4...4]))
        for mode in ["none", "tanh"] {
            cases.append(OpCase("gelu", [shape], attrs: ["approximate": .string(mode)], ranges: [-4...4]))
        }
        cases.append(OpCase("leaky_relu", [shape]))
        cases.append(OpCase("leaky_relu", [shape], attrs: ["negative_slope": .number(0.2)]))
    }
    cases.append(OpCase("gelu", [[4, 5]], ranges: [-8...8]))
    cases.append(OpCase("leaky_relu", [[2, 3]], attrs: ["negative_slope": .int(-2)]))
    // Both sides of the threshold 20, where softplus becomes x.
    cases.append(OpCase("softplus", [[4, 5]], ranges: [15...25]))
    cases.append(OpCase("sigmoid", [[4, 5]], ranges: [-30...30]))
    return cases
}()

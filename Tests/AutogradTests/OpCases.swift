import Autograd

/// One row of the op table: an op with attributes, input shapes and the range its inputs
/// are drawn from (kept away from kinks and poles, where finite differences lie).
struct OpCase: Sendable, CustomTestStringConvertible {
    let name: String
    let attrs: [String: AttributeValue]
    let shapes: [[Int]]
    let ranges: [ClosedRange<Double>]
    /// Inputs that get no gradient (class indices).
    let constant: Set<Int>
    /// Inputs given verbatim rather than drawn from `ranges` (class indices must be integral).
    let fixed: [Int: [Double]]

    init(
        _ name: String, _ shapes: [[Int]], attrs: [String: AttributeValue] = [:],
        ranges: [ClosedRange<Double>] = [], constant: Set<Int> = [], fixed: [Int: [Double]] = [:]
    ) {
        self.name = name
        self.attrs = attrs
        self.shapes = shapes
        self.ranges = ranges
        self.constant = constant
        self.fixed = fixed
    }

    var testDescription: String {
        let a = attrs.isEmpty ? "" : " " + attrs.keys.sorted().map { "\($0)=\(attrs[$0]!)" }.joined(separator: " ")
        return "\(name) " + shapes.map(Shape.describe).joined(separator: " ") + a
    }

    func inputs(seed: UInt64 = 1) -> [NDArray<Double>] {
        shapes.enumerated().map { i, s in
            if let values = fixed[i] { return NDArray(shape: s, data: values) }
            return randomArray(s, in: i < ranges.count ? ranges[i] : -2...2, seed: seed &+ UInt64(i) &* 7919)
        }
    }

    var differentiable: [Bool] { shapes.indices.map { !constant.contains($0) } }
}

import Testing

/// Every op, with the shapes that stress it: broadcasting against [], [1] and size-1
/// axes on either side, and every attribute.
let opCases: [OpCase] = {
    var cases: [OpCase] = []
    let broadcastPairs: [([Int], [Int])] = [
        ([2, 3], [2, 3]), ([], [2, 3]), ([2, 3], []), ([1], [3]), ([3, 1, 4], [2, 1]),
        ([2, 3], [3]), ([4, 1], [1, 5]), ([2, 1, 3], [1, 4, 1]), ([1, 1], [2, 1, 1]),
    ]
    for op in ["add", "sub", "mul"] {
        for (a, b) in broadcastPairs { cases.append(OpCase(op, [a, b])) }
    }
    for (a, b) in broadcastPairs { cases.append(OpCase("div", [a, b], ranges: [-2...2, 0.5...2])) }
    cases.append(OpCase("neg", [[2, 3]]))
    cases.append(OpCase("neg", [[]]))
    cases.append(OpCase("matmul", [[3, 4], [4, 2]]))
    cases.append(OpCase("matmul", [[1, 5], [5, 1]]))
    cases.append(OpCase("linear", [[3, 4], [4, 2], [2]]))
    cases.append(OpCase("linear", [[3, 4], [4, 2]]))
    cases.append(OpCase("linear", [[2, 3, 4], [4, 5], [5]]))
    cases.append(OpCase("linear", [[4], [4, 2], [2]]))
    for op in ["sum", "mean"] {
        cases.append(OpCase(op, [[2, 3, 4]]))
        cases.append(OpCase(op, [[2, 3, 4]], attrs: ["axis": .int(1)]))
        cases.append(OpCase(op, [[2, 3, 4]], attrs: ["axis": .int(-1), "keepdims": .bool(true)]))
        cases.append(OpCase(op, [[2, 3, 4]], attrs: ["axis": .ints([0, 2])]))
        cases.append(OpCase(op, [[2, 1, 4]], attrs: ["axis": .ints([-2]), "keepdims": .bool(true)]))
        cases.append(OpCase(op, [[]]))
        cases.append(OpCase(op, [[5]], attrs: ["axis": .int(0)]))
    }
    for r in ["mean", "sum", "none"] {
        cases.append(OpCase("mse_loss", [[3, 4], [3, 4]], attrs: ["reduction": .string(r)]))
    }
    cases.append(OpCase("mse_loss", [[], []]))
    return cases + elementwiseCases + shapeCases + lossCases + mathCases + indexCases + convolutionCases
}()

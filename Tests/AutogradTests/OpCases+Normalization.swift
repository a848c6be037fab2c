import Autograd

/// Op-table rows for normalisation and attention: affine inputs absent and present,
/// 1-D and multi-D normalized_shape, num_groups 1 and C, batch and running statistics,
/// masks (additive, −∞, broadcast, a fully masked row), causal, custom scale, L ≠ S, Ev ≠ E.
let normalizationCases: [OpCase] = {
    var cases: [OpCase] = []
    let ns = { (s: [Int]) -> [String: AttributeValue] in ["normalized_shape": .ints(s)] }
    cases.append(OpCase("layer_norm", [[3, 5]], attrs: ns([5])))
    cases.append(OpCase("layer_norm", [[3, 5], [5]], attrs: ns([5])))
    cases.append(OpCase("layer_norm", [[3, 5], [5], [5]], attrs: ["normalized_shape": .int(5), "eps": .number(0.1)]))
    cases.append(OpCase("layer_norm", [[2, 3, 4], [3, 4], [3, 4]], attrs: ns([3, 4])))
    cases.append(OpCase("layer_norm", [[2, 3, 4]], attrs: ns([2, 3, 4])))
    cases.append(OpCase("rms_norm", [[3, 5]], attrs: ns([5])))
    cases.append(OpCase("rms_norm", [[3, 5], [5]], attrs: ["normalized_shape": .ints([5]), "eps": .number(1e-3)]))
    cases.append(OpCase("rms_norm", [[2, 3, 4], [3, 4]], attrs: ns([3, 4])))
    let groups = { (g: Int) -> [String: AttributeValue] in ["num_groups": .int(g)] }
    cases.append(OpCase("group_norm", [[2, 4, 3], [4], [4]], attrs: groups(2)))
    cases.append(OpCase("group_norm", [[2, 4, 3], [4], [4]], attrs: groups(1)))
    cases.append(OpCase("group_norm", [[2, 4, 3], [4], [4]], attrs: groups(4)))
    cases.append(OpCase("group_norm", [[2, 6, 2, 2], [6], [6]], attrs: ["num_groups": .int(3), "eps": .number(0.01)]))
    cases.append(OpCase("group_norm", [[3, 4]], attrs: groups(2)))
    cases.append(OpCase("batch_norm", [[4, 3], [3], [3]]))
    cases.append(OpCase("batch_norm", [[2, 3, 4], [3], [3]]))
    cases.append(OpCase("batch_norm", [[2, 3, 2, 2], [3], [3]], attrs: ["eps": .number(0.01)]))
    cases.append(OpCase("batch_norm", [[2, 3, 4], [3], [3], [3], [3]], ranges: [-2...2, -2...2, -2...2, -1...1, 0.5...2]))
    cases.append(OpCase("batch_norm", [[4, 3], [3], [3], [3], [3]], ranges: [-2...2, -2...2, -2...2, -1...1, 0.5...2]))
    let sdpa = "scaled_dot_product_attention"
    cases.append(OpCase(sdpa, [[2, 3, 4], [2, 5, 4], [2, 5, 3]]))
    cases.append(OpCase(sdpa, [[2, 2, 3, 4], [2, 2, 5, 4], [2, 2, 5, 2]], attrs: ["scale": .number(0.3)]))
    cases.append(OpCase(sdpa, [[2, 4, 3], [2, 4, 3], [2, 4, 3]], attrs: ["is_causal": .bool(true)]))
    cases.append(OpCase(sdpa, [[1, 2, 3, 4], [1, 2, 5, 4], [1, 2, 5, 2]], attrs: ["is_causal": .bool(true)]))
    cases.append(OpCase(sdpa, [[2, 3, 4], [2, 5, 4], [2, 5, 3], [3, 5]]))
    cases.append(OpCase(sdpa, [[2, 2, 3, 4], [2, 2, 5, 4], [2, 2, 5, 3], [2, 1, 3, 5]]))
    // −∞ in the mask (a boolean mask sent as 0 / −∞), with one row fully masked: its
    // output and every gradient through it are zero, as torch's.
    let inf = -Double.infinity
    cases.append(OpCase(
        sdpa, [[1, 3, 2], [1, 4, 2], [1, 4, 2], [3, 4]], constant: [3],
        fixed: [3: [0, inf, 0, 0, inf, inf, inf, inf, 0, 0, inf, 0]]))
    return cases
}()

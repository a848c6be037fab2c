/// How `cross_entropy` and `nll_loss` read their inputs: scores `[C]`, `[N, C]` or
/// `[N, C, d...]` (classes on axis 1, as torch), a target of class indices shaped like the
/// scores without the class axis (or, for cross_entropy, probabilities of the scores'
/// shape), and an optional class weight `[C]`. Shared so both ops agree on shapes,
/// `ignore_index`, class weights and torch's weighted mean.
struct ClassScores {
    /// Batch size, classes and positions per sample (the product of `d...`).
    let n: Int, c: Int, inner: Int
    /// Whether the target holds class indices rather than probabilities.
    let indices: Bool
    /// The per-sample losses' shape: the scores without the class axis.
    let rowShape: [Int]

    /// Per-sample losses: `n · inner`.
    var samples: Int { n * inner }

    static let ignoreIndexAttribute = AttributeSpec(
        "ignore_index", .int, default: .int(-100),
        "a class index whose samples add nothing to the loss, its mean or the gradient")

    init(_ op: String, _ inputs: [[Int]], probabilitiesAllowed: Bool) throws(OpError) {
        let (scores, target) = (inputs[0], inputs[1])
        guard !scores.isEmpty else { throw .shape("\(op): the scores must be [C], [N, C] or [N, C, d...], got a scalar") }
        c = scores.count == 1 ? scores[0] : scores[1]
        n = scores.count == 1 ? 1 : scores[0]
        inner = scores.count > 2 ? scores[2...].reduce(1, *) : 1
        rowShape = scores.count == 1 ? [] : [scores[0]] + scores[2...]
        guard c >= 1 else { throw .shape("\(op): the scores need at least one class, got \(Shape.describe(scores))") }
        if target == rowShape {
            indices = true
        } else if probabilitiesAllowed && target == scores {
            indices = false
        } else {
            throw .shape(
                "\(op): scores \(Shape.describe(scores)) and target \(Shape.describe(target)) do not match: the target must be class indices \(Shape.describe(rowShape))"
                    + (probabilitiesAllowed ? " or probabilities \(Shape.describe(scores))" : ""))
        }
        if inputs.count > 2 && inputs[2] != [c] {
            throw .shape("\(op): the class weight must be [\(c)], got \(Shape.describe(inputs[2]))")
        }
    }

    /// The offset of class `j` of sample `s` in the scores.
    @inline(__always)
    func offset(_ s: Int, _ j: Int) -> Int { (s / inner) * c * inner + j * inner + s % inner }

    /// Checks class-index targets: integers in `[0, C)` or equal to `ignore`.
    func check<T: Scalar>(_ target: NDArray<T>, ignore: Int) throws(OpError) {
        guard indices else { return }
        try IndexValues.check(target.data, input: 1, what: "class index", count: c, ignore: ignore)
    }

    /// Each sample's class, or -1 where it is ignored (or, unchecked, not a valid class).
    func classes<T: Scalar>(_ target: NDArray<T>, ignore: Int) -> [Int] {
        target.data.map { v in
            guard v != T(ignore), v >= 0, let k = IndexValues.resolve(v, c) else { return -1 }
            return k
        }
    }

    /// torch's mean denominator for class indices: the summed weight of the classes of
    /// the samples not ignored (their count without a weight).
    func totalWeight<T: Scalar>(_ classes: [Int], _ weight: [T]?) -> T {
        var total: T = 0
        for k in classes where k >= 0 { total += weight?[k] ?? 1 }
        return total
    }

    /// The losses reduced: `none` keeps them, `sum` adds them, `mean` adds them and
    /// divides by `denominator`.
    static func reduce<T: Scalar>(_ losses: NDArray<T>, _ reduction: Reduction, denominator: T) -> NDArray<T> {
        reduction == .mean ? losses.sum(to: []).map { $0 / denominator } : reduction.apply(losses)
    }

    /// Each sample's upstream gradient, `[samples]`.
    static func spread<T: Scalar>(_ grad: NDArray<T>, _ reduction: Reduction, count: Int, denominator: T) -> [T] {
        switch reduction {
        case .none: return grad.data
        case .sum: return [T](repeating: grad.data[0], count: count)
        case .mean: return [T](repeating: grad.data[0] / denominator, count: count)
        }
    }

    /// Calls `body(first, end)` on disjoint ranges of samples covering `0..<samples`, split
    /// over the thread budget when the scores are large. Each sample is computed by the same
    /// code whichever range it falls in, so results do not depend on the split.
    func forEachSamples(_ body: (Int, Int) -> Void) {
        Parallel.forEachRange(
            samples, parallelFrom: Swift.max(2, Parallel.minimumElements / Swift.max(1, c)), alignment: 1, body)
    }

    /// Log-softmax over the class axis, by the log-sum-exp trick: subtracting each
    /// sample's maximum keeps `exp` from overflowing, so scores of ±1000 stay finite.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    func logSoftmax<T: Scalar>(_ scores: NDArray<T>) -> [T] {
        let (c, inner) = (c, inner)
        return scores.data.withUnsafeBufferPointer { x in
            [T](unsafeUninitializedCapacity: x.count) { out, count in
                if inner == 1 {
                    let (x, out) = (UncheckedSendable(x), UncheckedSendable(out))
                    forEachSamples { first, end in
                        for s in first..<end {
                            Self.logSoftmaxRow(x.value.baseAddress! + s * c, out.value.baseAddress! + s * c, c)
                        }
                    }
                    count = x.value.count
                    return
                }
                // One sample's exponentials, gathered: summed as the contiguous rows sum theirs.
                let exps = UnsafeMutablePointer<T>.allocate(capacity: c)
                defer { exps.deallocate() }
                for s in 0..<samples {
                    let base = offset(s, 0)
                    var m = x[base]
                    for j in 1..<c where x[base + j * inner] > m { m = x[base + j * inner] }
                    // Every argument is <= 0: the branch-free exp (FastMath), not libm's call.
                    for j in 0..<c { exps[j] = T.expNonPositive(x[base + j * inner] - m) }
                    var sum = BlockSum<T>()
                    sum.add(UnsafeBufferPointer(start: exps, count: c))
                    let logS = T.log(sum.total)
                    // (x − max) − log Σ, in torch's order, not x − (max + log Σ)
                    for j in 0..<c { out[base + j * inner] = (x[base + j * inner] - m) - logS }
                }
                count = x.count
            }
        }
    }

    /// One contiguous row of `logSoftmax`, with the strided loop's values bit for bit: the
    /// maximum in four independent lanes (the maximum is exact; a NaN anywhere makes the
    /// row NaN either way), the exponentials in a vectorised pass written to `out`, then
    /// summed in the strided loop's order (BlockSum's).
    @inline(__always)
    static func logSoftmaxRow<T: Scalar>(_ x: UnsafePointer<T>, _ out: UnsafeMutablePointer<T>, _ c: Int) {
        var m0 = x[0], m1 = x[0], m2 = x[0], m3 = x[0]
        var j = 1
        while j + 4 <= c {
            if x[j] > m0 { m0 = x[j] }
            if x[j + 1] > m1 { m1 = x[j + 1] }
            if x[j + 2] > m2 { m2 = x[j + 2] }
            if x[j + 3] > m3 { m3 = x[j + 3] }
            j += 4
        }
        while j < c {
            if x[j] > m0 { m0 = x[j] }
            j += 1
        }
        var m = m0
        if m1 > m { m = m1 }
        if m2 > m { m = m2 }
        if m3 > m { m = m3 }
        // exp through the vectorised kernel, the sum with BlockSum's eight accumulators
        // (one chain over 1000 classes waited on every add); below 8 classes BlockSum adds
        // left to right as before.
        for j in 0..<c { out[j] = x[j] - m }
        CPUKernels.expNonPositive(out, out, c)
        var sum = BlockSum<T>()
        sum.add(UnsafeBufferPointer(start: out, count: c))
        let logS = T.log(sum.total)
        for j in 0..<c { out[j] = (x[j] - m) - logS }
    }
}

import Autograd

extension GraphLimits {
    /// Why a tensor or op output of `shape` is outside the limits, or `nil` if it is
    /// within them. Checked for every tensor the request sends and every op output the
    /// plan infers, before anything of that shape is allocated.
    ///
    /// Besides the element count, the product of the non-zero dimensions (the shape's
    /// *extent*) must stay within `maxElements`: an empty tensor such as `[0, 2^40, 2^40]`
    /// holds nothing, but the kernels' index arithmetic (outer × inner around an axis,
    /// batch × rows) multiplies its other dimensions, and later ops (concat, reshape,
    /// broadcasting) would grow them. With every shape's extent bounded, no product of
    /// dimensions anywhere in the engine can overflow.
    func shapeProblem(_ shape: [Int]) -> String? {
        if shape.count > maxRank { return "rank \(shape.count) is over the limit of \(maxRank)" }
        var extent = 1
        for d in shape {
            guard d >= 0 else { return "dimension \(d) is negative" }
            guard d > 0 else { continue }
            let (p, overflow) = extent.multipliedReportingOverflow(by: d)
            guard !overflow, p <= maxElements else {
                return "shape \(Shape.describe(shape)) is over the limit of \(maxElements) elements"
                    + (shape.contains(0) ? " (counting the dimensions of an empty tensor)" : "")
            }
            extent = p
        }
        return nil
    }
}

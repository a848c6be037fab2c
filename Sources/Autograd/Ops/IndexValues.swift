/// Index tensors (`take`, `gather`, `embedding`, class targets) carry integers stored as
/// floats in the request's dtype. Their checks and their reading live here once.
enum IndexValues {
    /// Throws `.input(index: input, ...)` for the first value that is not an integer in
    /// `0..<n` (or `-n..<n` when `wraps`, as `numpy.take`), skipping values equal to
    /// `ignore` (`ignore_index`).
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    static func check<T: Scalar>(
        _ values: [T], input: Int, what: String, count n: Int, wraps: Bool = false, ignore: Int? = nil
    ) throws(OpError) {
        let lo = wraps ? -n : 0
        let skip: T? = ignore.map { T($0) }
        for (i, v) in values.enumerated() {
            guard v.isFinite && v.rounded(.towardZero) == v else {
                throw .input(index: input, detail: "\(what) \(v) at position \(i) is not an integer")
            }
            if let skip, v == skip { continue }
            guard v >= T(lo) && v < T(n) else {
                // Any integral float may come here (1e300, Float's 3e38): print it as an
                // integer only when Int holds it.
                let shown = v.magnitude < 1e15 ? String(Int(v)) : "\(v)"
                throw .input(index: input, detail: "\(what) \(shown) at position \(i) is out of range [\(lo), \(n))")
            }
        }
    }

    /// The position a checked value names in `0..<n` (negatives wrapped), or `nil` when
    /// it is not an integer in `-n..<n`: an unchecked value (a graph run without
    /// `validateValues`) is skipped rather than trapping.
    @inline(__always)
    static func resolve<T: Scalar>(_ v: T, _ n: Int) -> Int? {
        guard v >= T(-n) && v < T(n) && v.rounded(.towardZero) == v else { return nil }
        let i = Int(v)
        return i < 0 ? i + n : i
    }
}

// The vocabulary the differentiable vector-Jacobian products are written in: one-line
// wrappers over `Tensor.apply` of the registered ops (each itself a
// `DifferentiableOperator`, so a formula is differentiable to any order), and masks.
//
// A mask is a constant: a comparison's derivative is zero wherever it is defined, so a
// mask built from the forward values (with each op's own kink convention, the same test
// its first-order `vjp` makes) is exactly what differentiating through a recorded
// `greater` would give, without recording it.

/// Recorded elementwise arithmetic for differentiable vector-Jacobian products.
enum RecordedOps {
    @inline(__always)
    static func mul<T: Scalar>(_ a: Tensor<T>, _ b: Tensor<T>) throws(OpError) -> Tensor<T> {
        try Tensor.apply(Mul(), [a, b])
    }

    @inline(__always)
    static func div<T: Scalar>(_ a: Tensor<T>, _ b: Tensor<T>) throws(OpError) -> Tensor<T> {
        try Tensor.apply(Div(), [a, b])
    }

    @inline(__always)
    static func add<T: Scalar>(_ a: Tensor<T>, _ b: Tensor<T>) throws(OpError) -> Tensor<T> {
        try Tensor.apply(Add(), [a, b])
    }

    @inline(__always)
    static func sub<T: Scalar>(_ a: Tensor<T>, _ b: Tensor<T>) throws(OpError) -> Tensor<T> {
        try Tensor.apply(Sub(), [a, b])
    }

    @inline(__always)
    static func neg<T: Scalar>(_ a: Tensor<T>) throws(OpError) -> Tensor<T> {
        try Tensor.apply(Neg(), [a])
    }

    /// `a * c` for a constant `c` (rounded once to `T`, as the first-order formulas do).
    @inline(__always)
    static func scale<T: Scalar>(_ a: Tensor<T>, _ c: Double) throws(OpError) -> Tensor<T> {
        try Tensor.apply(MulScalar(T(c)), [a])
    }

    /// `a + c` for a constant `c`; `c - a` is `shift(neg(a), c)`, the same IEEE result.
    @inline(__always)
    static func shift<T: Scalar>(_ a: Tensor<T>, _ c: Double) throws(OpError) -> Tensor<T> {
        try Tensor.apply(AddScalar(T(c)), [a])
    }

    /// `1 - a`, as `1 + (-a)` (the same IEEE result as `1 - a`).
    @inline(__always)
    static func oneMinus<T: Scalar>(_ a: Tensor<T>) throws(OpError) -> Tensor<T> {
        try shift(neg(a), 1)
    }

    @inline(__always)
    static func unary<T: Scalar, Op: Operator>(_ op: Op, _ a: Tensor<T>) throws(OpError) -> Tensor<T> {
        try Tensor.apply(op, [a])
    }

    /// A constant 0/1 mask of `x`'s shape: 1 where `keep(x)`.
    // Specialised, with 0 and 1 made once: in the generic path each element went through
    // `NDArray.map` and two literal witnesses (~350 instructions an element, callgrind).
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    static func mask<T: Scalar>(_ x: Tensor<T>, _ keep: (T) -> Bool) -> Tensor<T> {
        let one: T = 1
        let src = x.value.data
        var out = [T](repeating: 0, count: src.count)
        src.withUnsafeBufferPointer { s in
            out.withUnsafeMutableBufferPointer { o in
                // Branch-free (a select, not a jump): a kink's mask is often half ones at random,
                // which a branch mispredicts about every other element (W8).
                for i in 0..<s.count { o[i] = keep(s[i]) ? one : 0 }
            }
        }
        return Tensor(NDArray(shape: x.shape, data: out))
    }

    /// A constant of `x`'s shape with the values `f(x)`.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    static func constant<T: Scalar>(_ x: Tensor<T>, _ f: (T) -> T) -> Tensor<T> {
        let src = x.value.data
        var out = [T](repeating: 0, count: src.count)
        src.withUnsafeBufferPointer { s in
            out.withUnsafeMutableBufferPointer { o in
                for i in 0..<s.count { o[i] = f(s[i]) }
            }
        }
        return Tensor(NDArray(shape: x.shape, data: out))
    }

    /// `a` where `mask` is non-zero, else `otherwise` (0 by default), broadcasting: torch's
    /// `where` / `masked_fill`, whose derivative is the same selection of the gradient.
    /// Unlike a product with the mask it never turns an infinite `a` into NaN.
    @inline(__always)
    static func select<T: Scalar>(
        _ mask: Tensor<T>, _ a: Tensor<T>, otherwise b: Tensor<T>? = nil
    ) throws(OpError) -> Tensor<T> {
        try Tensor.apply(Where(), [mask, a, b ?? Tensor(NDArray(scalar: 0))])
    }
}

// The Swift API's arithmetic: thin calls to the registered ops. A shape mismatch here is a
// programming error and traps with the op's message; `Tensor.apply` is the throwing form.
// They are @inlinable so that a caller in another module builds their input arrays and
// constant leaves for its concrete element type instead of through generic metadata.

extension Tensor {
    /// `a + b` elementwise, broadcasting as NumPy does.
    @inlinable
    public static func + (a: Tensor, b: Tensor) -> Tensor { applyOrTrap(Add(), [a, b]) }
    /// `a - b` elementwise, broadcasting as NumPy does.
    @inlinable
    public static func - (a: Tensor, b: Tensor) -> Tensor { applyOrTrap(Sub(), [a, b]) }
    /// `a * b` elementwise, broadcasting as NumPy does.
    @inlinable
    public static func * (a: Tensor, b: Tensor) -> Tensor { applyOrTrap(Mul(), [a, b]) }
    /// `a / b` elementwise, broadcasting as NumPy does.
    @inlinable
    public static func / (a: Tensor, b: Tensor) -> Tensor { applyOrTrap(Div(), [a, b]) }
    /// `-a` elementwise.
    @inlinable
    public static prefix func - (a: Tensor) -> Tensor { applyOrTrap(Neg(), [a]) }

    // A constant operand is kept in the op (`AddScalar`, `MulScalar`) rather than in a
    // leaf tensor of its own: the same values and gradients, without a tensor, an array
    // and a second input per operation. Addition and multiplication commute exactly, so
    // `c + x` and `c * x` record the same ops.
    /// `a + b` for a constant `b`, kept in the op rather than in a tensor of its own.
    @inlinable
    public static func + (a: Tensor, b: T) -> Tensor { applyOrTrap(AddScalar(b), a) }
    /// `a + b` for a constant `a`, kept in the op rather than in a tensor of its own.
    @inlinable
    public static func + (a: T, b: Tensor) -> Tensor { applyOrTrap(AddScalar(a), b) }
    /// `a - b` for a constant `b`.
    @inlinable
    public static func - (a: Tensor, b: T) -> Tensor { a - Tensor(b) }
    /// `a - b` for a constant `a`.
    @inlinable
    public static func - (a: T, b: Tensor) -> Tensor { Tensor(a) - b }
    /// `a * b` for a constant `b`, kept in the op rather than in a tensor of its own.
    @inlinable
    public static func * (a: Tensor, b: T) -> Tensor { applyOrTrap(MulScalar(b), a) }
    /// `a * b` for a constant `a`, kept in the op rather than in a tensor of its own.
    @inlinable
    public static func * (a: T, b: Tensor) -> Tensor { applyOrTrap(MulScalar(a), b) }
    /// `a / b` for a constant `b`.
    @inlinable
    public static func / (a: Tensor, b: T) -> Tensor { a / Tensor(b) }
    /// `a / b` for a constant `a`.
    @inlinable
    public static func / (a: T, b: Tensor) -> Tensor { Tensor(a) / b }

    /// Matrix product `self @ other`.
    @inlinable
    public func matmul(_ other: Tensor) -> Tensor { Tensor.applyOrTrap(MatMul(), [self, other]) }

    /// Sum over `axes` (all by default; negatives count from the end).
    @inlinable
    public func sum(axes: [Int]? = nil, keepdims: Bool = false, file: StaticString = #fileID, line: UInt = #line) -> Tensor {
        Tensor.applyOrTrap(Sum(axes: axes, keepdims: keepdims), [self], file: file, line: line)
    }

    /// Mean over `axes` (all by default; negatives count from the end).
    @inlinable
    public func mean(axes: [Int]? = nil, keepdims: Bool = false, file: StaticString = #fileID, line: UInt = #line) -> Tensor {
        Tensor.applyOrTrap(Mean(axes: axes, keepdims: keepdims), [self], file: file, line: line)
    }
}

/// `x @ W + b` with `W` of shape `[in, out]`.
@inlinable
public func linear<T>(_ x: Tensor<T>, _ W: Tensor<T>, _ b: Tensor<T>? = nil, file: StaticString = #fileID, line: UInt = #line) -> Tensor<T> {
    Tensor.applyOrTrap(LinearOp(), b.map { [x, W, $0] } ?? [x, W], file: file, line: line)
}

/// Mean squared error between `input` and `target` (same shapes).
@inlinable
public func mseLoss<T>(_ input: Tensor<T>, _ target: Tensor<T>, reduction: Reduction = .mean, file: StaticString = #fileID, line: UInt = #line) -> Tensor<T> {
    Tensor.applyOrTrap(MSELoss(reduction: reduction), [input, target], file: file, line: line)
}

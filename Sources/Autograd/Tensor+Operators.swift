// The Swift API's arithmetic: thin calls to the registered ops. A shape mismatch here is a
// programming error and traps with the op's message; `Tensor.apply` is the throwing form.

extension Tensor {
    public static func + (a: Tensor, b: Tensor) -> Tensor { applyOrTrap(Add(), [a, b]) }
    public static func - (a: Tensor, b: Tensor) -> Tensor { applyOrTrap(Sub(), [a, b]) }
    public static func * (a: Tensor, b: Tensor) -> Tensor { applyOrTrap(Mul(), [a, b]) }
    public static func / (a: Tensor, b: Tensor) -> Tensor { applyOrTrap(Div(), [a, b]) }
    public static prefix func - (a: Tensor) -> Tensor { applyOrTrap(Neg(), [a]) }

    public static func + (a: Tensor, b: T) -> Tensor { a + Tensor(b) }
    public static func + (a: T, b: Tensor) -> Tensor { Tensor(a) + b }
    public static func - (a: Tensor, b: T) -> Tensor { a - Tensor(b) }
    public static func - (a: T, b: Tensor) -> Tensor { Tensor(a) - b }
    public static func * (a: Tensor, b: T) -> Tensor { a * Tensor(b) }
    public static func * (a: T, b: Tensor) -> Tensor { Tensor(a) * b }
    public static func / (a: Tensor, b: T) -> Tensor { a / Tensor(b) }
    public static func / (a: T, b: Tensor) -> Tensor { Tensor(a) / b }

    /// Matrix product `self @ other`.
    public func matmul(_ other: Tensor) -> Tensor { Tensor.applyOrTrap(MatMul(), [self, other]) }

    /// Sum over `axes` (all by default; negatives count from the end).
    public func sum(axes: [Int]? = nil, keepdims: Bool = false) -> Tensor {
        Tensor.applyOrTrap(Sum(axes: axes, keepdims: keepdims), [self])
    }

    /// Mean over `axes` (all by default; negatives count from the end).
    public func mean(axes: [Int]? = nil, keepdims: Bool = false) -> Tensor {
        Tensor.applyOrTrap(Mean(axes: axes, keepdims: keepdims), [self])
    }
}

/// `x @ W + b` with `W` of shape `[in, out]`.
public func linear<T>(_ x: Tensor<T>, _ W: Tensor<T>, _ b: Tensor<T>? = nil) -> Tensor<T> {
    Tensor.applyOrTrap(LinearOp(), b.map { [x, W, $0] } ?? [x, W])
}

/// Mean squared error between `input` and `target` (same shapes).
public func mseLoss<T>(_ input: Tensor<T>, _ target: Tensor<T>, reduction: Reduction = .mean) -> Tensor<T> {
    Tensor.applyOrTrap(MSELoss(reduction: reduction), [input, target])
}

// The Swift API's elementwise functions and activations: thin calls to the registered ops,
// trapping on a shape mismatch as the arithmetic operators do.

extension Tensor {
    /// `e ** self` elementwise.
    @inlinable
    public func exp() -> Tensor { Tensor.applyOrTrap(Exp(), [self]) }

    /// The natural logarithm elementwise (`-inf` at 0, NaN below).
    @inlinable
    public func log() -> Tensor { Tensor.applyOrTrap(Log(), [self]) }

    /// The square root elementwise (NaN below 0).
    @inlinable
    public func sqrt() -> Tensor { Tensor.applyOrTrap(Sqrt(), [self]) }

    /// `|self|` elementwise.
    @inlinable
    public func abs() -> Tensor { Tensor.applyOrTrap(Abs(), [self]) }
}

/// `a ** b` elementwise, broadcasting, with C's rules for a negative base.
@inlinable
public func pow<T>(_ a: Tensor<T>, _ b: Tensor<T>) -> Tensor<T> { Tensor.applyOrTrap(Pow(), [a, b]) }

/// `a ** b` elementwise for a scalar exponent.
@inlinable
public func pow<T>(_ a: Tensor<T>, _ b: T) -> Tensor<T> { pow(a, Tensor(b)) }

/// `a ** b` elementwise for a scalar base.
@inlinable
public func pow<T>(_ a: T, _ b: Tensor<T>) -> Tensor<T> { pow(Tensor(a), b) }

/// The larger of `a` and `b` elementwise, broadcasting; a tie splits the gradient evenly.
@inlinable
public func maximum<T>(_ a: Tensor<T>, _ b: Tensor<T>) -> Tensor<T> {
    Tensor.applyOrTrap(Maximum(), [a, b])
}

/// The smaller of `a` and `b` elementwise, broadcasting; a tie splits the gradient evenly.
@inlinable
public func minimum<T>(_ a: Tensor<T>, _ b: Tensor<T>) -> Tensor<T> {
    Tensor.applyOrTrap(Minimum(), [a, b])
}

/// `max(x, 0)` elementwise.
@inlinable
public func relu<T>(_ x: Tensor<T>) -> Tensor<T> { Tensor.applyOrTrap(ReLUOp(), [x]) }

/// The logistic function `1 / (1 + e^-x)` elementwise.
@inlinable
public func sigmoid<T>(_ x: Tensor<T>) -> Tensor<T> { Tensor.applyOrTrap(SigmoidOp(), [x]) }

/// The hyperbolic tangent elementwise.
@inlinable
public func tanh<T>(_ x: Tensor<T>) -> Tensor<T> { Tensor.applyOrTrap(TanhOp(), [x]) }

/// The Gaussian error linear unit `x Φ(x)` elementwise, exact by default.
@inlinable
public func gelu<T>(_ x: Tensor<T>, approximate: GELUApproximation = .none, file: StaticString = #fileID, line: UInt = #line) -> Tensor<T> {
    Tensor.applyOrTrap(GELUOp(approximate: approximate), [x], file: file, line: line)
}

/// `x` where `x > 0`, else `negativeSlope * x`.
@inlinable
public func leakyRelu<T>(_ x: Tensor<T>, negativeSlope: Double = 0.01, file: StaticString = #fileID, line: UInt = #line) -> Tensor<T> {
    Tensor.applyOrTrap(LeakyReLUOp(negativeSlope: negativeSlope), [x], file: file, line: line)
}

/// `log(1 + e^x)` elementwise (`x` itself above 20, as PyTorch's default threshold).
@inlinable
public func softplus<T>(_ x: Tensor<T>) -> Tensor<T> { Tensor.applyOrTrap(SoftplusOp(), [x]) }

// The Swift API of issue 10's elementwise math: a method and a free function per op, thin
// calls to the registered ops (trapping on a shape mismatch, as the arithmetic operators do).

extension Tensor {
    /// The sine elementwise.
    @inlinable public func sin() -> Tensor { Tensor.applyOrTrap(Sin(), [self]) }
    /// The cosine elementwise.
    @inlinable public func cos() -> Tensor { Tensor.applyOrTrap(Cos(), [self]) }
    /// The error function elementwise.
    @inlinable public func erf() -> Tensor { Tensor.applyOrTrap(Erf(), [self]) }
    /// `log(1 + self)` elementwise, accurate near 0.
    @inlinable public func log1p() -> Tensor { Tensor.applyOrTrap(Log1p(), [self]) }
    /// `exp(self) - 1` elementwise, accurate near 0.
    @inlinable public func expm1() -> Tensor { Tensor.applyOrTrap(Expm1(), [self]) }
    /// `1 / sqrt(self)` elementwise.
    @inlinable public func rsqrt() -> Tensor { Tensor.applyOrTrap(Rsqrt(), [self]) }
    /// `self * self` elementwise.
    @inlinable public func square() -> Tensor { Tensor.applyOrTrap(Square(), [self]) }
    /// -1, 0 or 1 by the sign of each element (0 at 0 and NaN); a zero gradient.
    @inlinable public func sign() -> Tensor { Tensor.applyOrTrap(Sign(), [self]) }
    /// `self * sigmoid(self)` elementwise (SiLU, swish).
    @inlinable public func silu() -> Tensor { Tensor.applyOrTrap(SiLU(), [self]) }
    /// `self` where positive, else `alpha * (exp(self) - 1)`.
    @inlinable public func elu(alpha: Double = 1, file: StaticString = #fileID, line: UInt = #line) -> Tensor { Tensor.applyOrTrap(ELU(alpha: alpha), [self], file: file, line: line) }
    /// Each element limited to `[min, max]` (`max` wins when `min > max`); the gradient
    /// passes strictly inside the bounds, as torch's. At least one bound must be given.
    @inlinable public func clamp(min: Double? = nil, max: Double? = nil, file: StaticString = #fileID, line: UInt = #line) -> Tensor {
        Tensor.applyOrTrap(Clamp(min: min, max: max), [self], file: file, line: line)
    }
}

/// The sine elementwise.
@inlinable public func sin<T>(_ x: Tensor<T>) -> Tensor<T> { x.sin() }
/// The cosine elementwise.
@inlinable public func cos<T>(_ x: Tensor<T>) -> Tensor<T> { x.cos() }
/// The error function elementwise.
@inlinable public func erf<T>(_ x: Tensor<T>) -> Tensor<T> { x.erf() }
/// `log(1 + x)` elementwise.
@inlinable public func log1p<T>(_ x: Tensor<T>) -> Tensor<T> { x.log1p() }
/// `exp(x) - 1` elementwise.
@inlinable public func expm1<T>(_ x: Tensor<T>) -> Tensor<T> { x.expm1() }
/// `1 / sqrt(x)` elementwise.
@inlinable public func rsqrt<T>(_ x: Tensor<T>) -> Tensor<T> { x.rsqrt() }
/// `x * x` elementwise.
@inlinable public func square<T>(_ x: Tensor<T>) -> Tensor<T> { x.square() }
/// -1, 0 or 1 by the sign of each element.
@inlinable public func sign<T>(_ x: Tensor<T>) -> Tensor<T> { x.sign() }
/// `x * sigmoid(x)` elementwise.
@inlinable public func silu<T>(_ x: Tensor<T>) -> Tensor<T> { x.silu() }
/// `x` where positive, else `alpha * (exp(x) - 1)`.
@inlinable public func elu<T>(_ x: Tensor<T>, alpha: Double = 1) -> Tensor<T> { x.elu(alpha: alpha) }
/// `x` limited to `[min, max]` elementwise.
@inlinable public func clamp<T>(_ x: Tensor<T>, min: Double? = nil, max: Double? = nil) -> Tensor<T> {
    x.clamp(min: min, max: max)
}

// The Swift API of the comparisons and `where`: thin calls to the registered ops (trapping
// on a shape mismatch, as the arithmetic operators do). Comparisons give 1 or 0 and no
// gradient.

extension Tensor {
    /// 1 where `self > other`, else 0, broadcasting.
    @inlinable public func greater(_ other: Tensor) -> Tensor { Tensor.applyOrTrap(Greater(), [self, other]) }
    /// 1 where `self >= other`, else 0, broadcasting.
    @inlinable public func greaterEqual(_ other: Tensor) -> Tensor { Tensor.applyOrTrap(GreaterEqual(), [self, other]) }
    /// 1 where `self < other`, else 0, broadcasting.
    @inlinable public func less(_ other: Tensor) -> Tensor { Tensor.applyOrTrap(Less(), [self, other]) }
    /// 1 where `self <= other`, else 0, broadcasting.
    @inlinable public func lessEqual(_ other: Tensor) -> Tensor { Tensor.applyOrTrap(LessEqual(), [self, other]) }
    /// 1 where `self == other`, else 0, broadcasting.
    @inlinable public func equal(_ other: Tensor) -> Tensor { Tensor.applyOrTrap(Equal(), [self, other]) }
    /// 1 where `self != other` (and where either is NaN), else 0, broadcasting.
    @inlinable public func notEqual(_ other: Tensor) -> Tensor { Tensor.applyOrTrap(NotEqual(), [self, other]) }

    /// `a` where `condition` is nonzero, else `b`, elementwise over the broadcast of all
    /// three (`torch.where`); `condition` gets no gradient.
    @inlinable public static func `where`(_ condition: Tensor, _ a: Tensor, _ b: Tensor) -> Tensor {
        applyOrTrap(Where(), [condition, a, b])
    }
}

/// 1 where `a > b`, else 0, broadcasting.
@inlinable public func greater<T>(_ a: Tensor<T>, _ b: Tensor<T>) -> Tensor<T> { a.greater(b) }
/// 1 where `a >= b`, else 0, broadcasting.
@inlinable public func greaterEqual<T>(_ a: Tensor<T>, _ b: Tensor<T>) -> Tensor<T> { a.greaterEqual(b) }
/// 1 where `a < b`, else 0, broadcasting.
@inlinable public func less<T>(_ a: Tensor<T>, _ b: Tensor<T>) -> Tensor<T> { a.less(b) }
/// 1 where `a <= b`, else 0, broadcasting.
@inlinable public func lessEqual<T>(_ a: Tensor<T>, _ b: Tensor<T>) -> Tensor<T> { a.lessEqual(b) }
/// 1 where `a == b`, else 0, broadcasting.
@inlinable public func equal<T>(_ a: Tensor<T>, _ b: Tensor<T>) -> Tensor<T> { a.equal(b) }
/// 1 where `a != b`, else 0, broadcasting.
@inlinable public func notEqual<T>(_ a: Tensor<T>, _ b: Tensor<T>) -> Tensor<T> { a.notEqual(b) }

// Activation layers: parameterless modules that apply one op, for composing models.
// Their calls are specialised: through `any Module` (Sequential) from another module they
// would run unspecialised (issue 21).

/// `max(x, 0)` as a layer.
public final class ReLU<Scalar: Autograd.Scalar>: Module {
    public init() {}
    public var parameters: [Tensor<Scalar>] { [] }
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func callAsFunction(_ x: Tensor<Scalar>) -> Tensor<Scalar> { relu(x) }
}

/// The logistic function as a layer.
public final class Sigmoid<Scalar: Autograd.Scalar>: Module {
    public init() {}
    public var parameters: [Tensor<Scalar>] { [] }
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func callAsFunction(_ x: Tensor<Scalar>) -> Tensor<Scalar> { sigmoid(x) }
}

/// The hyperbolic tangent as a layer.
public final class Tanh<Scalar: Autograd.Scalar>: Module {
    public init() {}
    public var parameters: [Tensor<Scalar>] { [] }
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func callAsFunction(_ x: Tensor<Scalar>) -> Tensor<Scalar> { tanh(x) }
}

/// The Gaussian error linear unit as a layer.
public final class GELU<Scalar: Autograd.Scalar>: Module {
    public let approximate: GELUApproximation
    /// A layer computing the exact erf form, or the tanh approximation.
    public init(approximate: GELUApproximation = .none) { self.approximate = approximate }
    public var parameters: [Tensor<Scalar>] { [] }
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func callAsFunction(_ x: Tensor<Scalar>) -> Tensor<Scalar> { gelu(x, approximate: approximate) }
}

/// Leaky ReLU as a layer.
public final class LeakyReLU<Scalar: Autograd.Scalar>: Module {
    public let negativeSlope: Double
    /// A layer with slope `negativeSlope` for `x <= 0`.
    public init(negativeSlope: Double = 0.01) { self.negativeSlope = negativeSlope }
    public var parameters: [Tensor<Scalar>] { [] }
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func callAsFunction(_ x: Tensor<Scalar>) -> Tensor<Scalar> { leakyRelu(x, negativeSlope: negativeSlope) }
}

/// Softplus as a layer.
public final class Softplus<Scalar: Autograd.Scalar>: Module {
    public init() {}
    public var parameters: [Tensor<Scalar>] { [] }
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func callAsFunction(_ x: Tensor<Scalar>) -> Tensor<Scalar> { softplus(x) }
}

// Activation layers: parameterless modules that apply one op, for composing models.
// Their calls are specialised: through `any Module` (Sequential) from another module they
// would run unspecialised (issue 21).

/// `max(x, 0)` as a layer.
public final class ReLU<Scalar: Autograd.Scalar>: Module {
    /// A ReLU layer.
    public init() {}
    public var parameters: [Tensor<Scalar>] { [] }
    /// `max(x, 0)` elementwise.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func callAsFunction(_ x: Tensor<Scalar>) -> Tensor<Scalar> { relu(x) }
}

/// The logistic function as a layer.
public final class Sigmoid<Scalar: Autograd.Scalar>: Module {
    /// A sigmoid layer.
    public init() {}
    public var parameters: [Tensor<Scalar>] { [] }
    /// `1 / (1 + exp(-x))` elementwise.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func callAsFunction(_ x: Tensor<Scalar>) -> Tensor<Scalar> { sigmoid(x) }
}

/// The hyperbolic tangent as a layer.
public final class Tanh<Scalar: Autograd.Scalar>: Module {
    /// A tanh layer.
    public init() {}
    public var parameters: [Tensor<Scalar>] { [] }
    /// `tanh(x)` elementwise.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func callAsFunction(_ x: Tensor<Scalar>) -> Tensor<Scalar> { tanh(x) }
}

/// The Gaussian error linear unit as a layer.
public final class GELU<Scalar: Autograd.Scalar>: Module {
    /// The exact erf form (`.none`) or the tanh approximation.
    public let approximate: GELUApproximation
    /// A layer computing the exact erf form, or the tanh approximation.
    public init(approximate: GELUApproximation = .none) { self.approximate = approximate }
    public var parameters: [Tensor<Scalar>] { [] }
    /// `x Φ(x)` elementwise, in the form `approximate` selects.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func callAsFunction(_ x: Tensor<Scalar>) -> Tensor<Scalar> { gelu(x, approximate: approximate) }
}

/// Leaky ReLU as a layer.
public final class LeakyReLU<Scalar: Autograd.Scalar>: Module {
    /// The slope for `x <= 0`.
    public let negativeSlope: Double
    /// A layer with slope `negativeSlope` for `x <= 0`.
    public init(negativeSlope: Double = 0.01) { self.negativeSlope = negativeSlope }
    public var parameters: [Tensor<Scalar>] { [] }
    /// `x` where `x > 0`, else `negativeSlope * x`.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func callAsFunction(_ x: Tensor<Scalar>) -> Tensor<Scalar> { leakyRelu(x, negativeSlope: negativeSlope) }
}

/// Softplus as a layer.
public final class Softplus<Scalar: Autograd.Scalar>: Module {
    /// A softplus layer.
    public init() {}
    public var parameters: [Tensor<Scalar>] { [] }
    /// `log(1 + exp(x))` elementwise (`x` itself above 20, as PyTorch).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func callAsFunction(_ x: Tensor<Scalar>) -> Tensor<Scalar> { softplus(x) }
}

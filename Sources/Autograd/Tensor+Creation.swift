// Making tensors as `torch.zeros`, `torch.ones`, `torch.full`, `torch.randn` and
// `torch.rand`/`uniform_` do, with explicit seeds: the same seed gives the same values on
// every machine (SplitMix64). A negative length in `shape` traps, as an out-of-range index
// does.

extension Tensor {
    /// A leaf of `shape` filled with `value`, as `torch.full`.
    public static func full(_ shape: [Int], _ value: T, requiresGrad: Bool = false) -> Tensor {
        Tensor(NDArray(repeating: value, shape: checked(shape)), requiresGrad: requiresGrad)
    }

    /// A leaf of `shape` filled with zeros, as `torch.zeros`.
    public static func zeros(_ shape: [Int], requiresGrad: Bool = false) -> Tensor {
        full(shape, 0, requiresGrad: requiresGrad)
    }

    /// A leaf of `shape` filled with ones, as `torch.ones`.
    public static func ones(_ shape: [Int], requiresGrad: Bool = false) -> Tensor {
        full(shape, 1, requiresGrad: requiresGrad)
    }

    /// A leaf of `shape` drawn from the standard normal distribution (Box–Muller over
    /// `generator`'s uniform doubles, the formula `Embedding` initialises with).
    public static func randn(
        _ shape: [Int], generator: inout some RandomNumberGenerator, requiresGrad: Bool = false
    ) -> Tensor {
        let n = Shape.count(checked(shape)) ?? 0
        return Tensor(shape: shape, scalars: (0..<n).map { _ in T(standardNormal(using: &generator)) }, requiresGrad: requiresGrad)
    }

    /// A leaf of `shape` drawn from the standard normal distribution, from
    /// `SplitMix64(seed: seed)`: deterministic.
    public static func randn(_ shape: [Int], seed: UInt64, requiresGrad: Bool = false) -> Tensor {
        var generator = SplitMix64(seed: seed)
        return randn(shape, generator: &generator, requiresGrad: requiresGrad)
    }

    /// A leaf of `shape` drawn uniformly from `range` (`[0, 1)` by default) using
    /// `generator`, as `torch.rand` and `uniform_`.
    public static func uniform(
        _ shape: [Int], in range: Range<T> = 0..<1, generator: inout some RandomNumberGenerator,
        requiresGrad: Bool = false
    ) -> Tensor {
        let n = Shape.count(checked(shape)) ?? 0
        return Tensor(shape: shape, scalars: (0..<n).map { _ in T.random(in: range, using: &generator) }, requiresGrad: requiresGrad)
    }

    /// A leaf of `shape` drawn uniformly from `range` (`[0, 1)` by default), from
    /// `SplitMix64(seed: seed)`: deterministic.
    public static func uniform(
        _ shape: [Int], in range: Range<T> = 0..<1, seed: UInt64, requiresGrad: Bool = false
    ) -> Tensor {
        var generator = SplitMix64(seed: seed)
        return uniform(shape, in: range, generator: &generator, requiresGrad: requiresGrad)
    }

    private static func checked(_ shape: [Int]) -> [Int] {
        precondition(Shape.count(shape) != nil, "Tensor: invalid shape \(shape)")
        return shape
    }

    /// The value of a one-element tensor (of any rank), as PyTorch's `item()`; traps on
    /// any other element count, as `torch` raises.
    public func item() -> T {
        precondition(count == 1, "item(): a Tensor with \(count) elements cannot be converted to a scalar")
        return value.data[0]
    }

    /// The element type: `.float32` or `.float64`.
    public var dtype: DType { T.dtype }
}

/// A standard normal sample by Box–Muller from two uniform doubles of `generator`.
func standardNormal(using generator: inout some RandomNumberGenerator) -> Double {
    let u1 = 1 - Double.random(in: 0..<1, using: &generator)
    let u2 = Double.random(in: 0..<1, using: &generator)
    return (-2 * Double.log(u1)).squareRoot() * Double.cos(2 * .pi * u2)
}

extension Tensor {
    /// A new trainable leaf with `t`'s values (shared until either is written), as
    /// `nn.Parameter(t.detach())`: what a module keeps of a tensor it is given, leaving
    /// the caller's tensor, its `requiresGrad` and its gradient alone.
    public static func parameter(_ t: Tensor) -> Tensor { Tensor(t.value, requiresGrad: true) }
}

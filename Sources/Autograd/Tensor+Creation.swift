// Making tensors as `torch.zeros`, `torch.ones`, `torch.full`, `torch.randn` and
// `torch.rand`/`uniform_` do, with explicit seeds: the same seed gives the same values on
// every machine (SplitMix64). A negative length in `shape` traps naming the caller's file
// and line, as an out-of-range index does, or is thrown by an enclosing `withError` scope.

extension Tensor {
    /// A leaf of `shape` filled with `value`, as `torch.full`.
    public static func full(
        _ shape: [Int], _ value: T, requiresGrad: Bool = false, file: StaticString = #fileID, line: UInt = #line
    ) -> Tensor {
        if let misuse = invalid(shape, file: file, line: line) { return misuse }
        return Tensor(NDArray(repeating: value, shape: shape), requiresGrad: requiresGrad)
    }

    /// A leaf of `shape` filled with zeros, as `torch.zeros`.
    public static func zeros(
        _ shape: [Int], requiresGrad: Bool = false, file: StaticString = #fileID, line: UInt = #line
    ) -> Tensor {
        full(shape, 0, requiresGrad: requiresGrad, file: file, line: line)
    }

    /// A leaf of `shape` filled with ones, as `torch.ones`.
    public static func ones(
        _ shape: [Int], requiresGrad: Bool = false, file: StaticString = #fileID, line: UInt = #line
    ) -> Tensor {
        full(shape, 1, requiresGrad: requiresGrad, file: file, line: line)
    }

    /// A leaf of `shape` drawn from the standard normal distribution (Box–Muller over
    /// `generator`'s uniform doubles, the formula `Embedding` initialises with).
    public static func randn(
        _ shape: [Int], generator: inout some RandomNumberGenerator, requiresGrad: Bool = false,
        file: StaticString = #fileID, line: UInt = #line
    ) -> Tensor {
        if let misuse = invalid(shape, file: file, line: line) { return misuse }
        let n = Shape.count(shape) ?? 0
        return Tensor(shape: shape, scalars: (0..<n).map { _ in T(standardNormal(using: &generator)) }, requiresGrad: requiresGrad)
    }

    /// A leaf of `shape` drawn from the standard normal distribution, from
    /// `SplitMix64(seed: seed)`: deterministic.
    public static func randn(
        _ shape: [Int], seed: UInt64, requiresGrad: Bool = false, file: StaticString = #fileID, line: UInt = #line
    ) -> Tensor {
        var generator = SplitMix64(seed: seed)
        return randn(shape, generator: &generator, requiresGrad: requiresGrad, file: file, line: line)
    }

    /// A leaf of `shape` drawn uniformly from `range` (`[0, 1)` by default) using
    /// `generator`, as `torch.rand` and `uniform_`.
    public static func uniform(
        _ shape: [Int], in range: Range<T> = 0..<1, generator: inout some RandomNumberGenerator,
        requiresGrad: Bool = false, file: StaticString = #fileID, line: UInt = #line
    ) -> Tensor {
        if let misuse = invalid(shape, file: file, line: line) { return misuse }
        let n = Shape.count(shape) ?? 0
        return Tensor(shape: shape, scalars: (0..<n).map { _ in T.random(in: range, using: &generator) }, requiresGrad: requiresGrad)
    }

    /// A leaf of `shape` drawn uniformly from `range` (`[0, 1)` by default), from
    /// `SplitMix64(seed: seed)`: deterministic.
    public static func uniform(
        _ shape: [Int], in range: Range<T> = 0..<1, seed: UInt64, requiresGrad: Bool = false,
        file: StaticString = #fileID, line: UInt = #line
    ) -> Tensor {
        var generator = SplitMix64(seed: seed)
        return uniform(shape, in: range, generator: &generator, requiresGrad: requiresGrad, file: file, line: line)
    }

    /// nil for a valid shape; otherwise the misuse's placeholder (in a `withError` scope),
    /// or a trap naming the caller.
    private static func invalid(_ shape: [Int], file: StaticString, line: UInt) -> Tensor? {
        if Shape.count(shape) != nil { return nil }
        let negative = shape.first { $0 < 0 }
        return misuse(
            negative.map { "Trying to create tensor with negative dimension \($0): \(shape)" }
                ?? "Tensor: shape \(shape) has too many elements",
            file: file, line: line)
    }

    /// The value of a one-element tensor (of any rank), as PyTorch's `item()`. Any other
    /// element count is an error, as `torch` raises: it traps naming the caller's file and
    /// line, or, inside a `withError` scope, is thrown by the scope (`item()` then returns NaN).
    public func item(file: StaticString = #fileID, line: UInt = #line) -> T {
        guard count == 1 else {
            _ = Tensor.misuse(
                "a Tensor with \(count) elements cannot be converted to Scalar", file: file, line: line)
            return T.nan
        }
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

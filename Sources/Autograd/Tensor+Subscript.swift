// NumPy/PyTorch-style indexing: `x[1]`, `x[-1]`, `x[0..<2]`, `x[1...]`, `x[.all, 1]`,
// `x[.ellipsis, 0]`, `x[.newAxis]`, `x[.slice(0, nil, 2)]`, each a composition of the
// registered ops (take, slice, unsqueeze), so gradients come with them. An index out of
// range traps with the op's message, as an out-of-range array index does.

/// One position of a tensor subscript: `.at(i)`, `.slice(start, stop, step:)`, `.all`,
/// `.ellipsis` or `.newAxis` (written with a leading dot inside a subscript).
public struct TensorIndex: Sendable, Equatable {
    /// What a position does.
    public enum Kind: Sendable, Equatable {
        /// One element along the axis, which is removed (negatives count from the end).
        case at(Int)
        /// `start..<stop` by `step` along the axis, with Python's handling of negative and
        /// out-of-range bounds (`nil`: from the start, to the end); `step` must be positive.
        case slice(Int?, Int?, step: Int)
        /// The whole axis, Python's `:`.
        case all
        /// As many whole axes as the other positions leave, Python's `...` (at most one).
        case ellipsis
        /// A new axis of length 1, Python's `None`.
        case newAxis
    }

    /// What this position does.
    public let kind: Kind

    /// A position of the given kind.
    public init(_ kind: Kind) { self.kind = kind }
}

/// A value usable in a tensor subscript: `Int`, the integer ranges, or a `TensorIndex`.
public protocol TensorIndexExpression {
    /// The position this value stands for.
    var tensorIndex: TensorIndex { get }
}

extension TensorIndex: TensorIndexExpression {
    /// Itself.
    public var tensorIndex: TensorIndex { self }
}

// Static members here rather than on TensorIndex, so that `.all` resolves inside a
// subscript whose positions are `any TensorIndexExpression`.
extension TensorIndexExpression where Self == TensorIndex {
    /// The whole axis, Python's `:`.
    public static var all: TensorIndex { TensorIndex(.all) }
    /// Python's `...`.
    public static var ellipsis: TensorIndex { TensorIndex(.ellipsis) }
    /// Python's `None`: a new axis of length 1.
    public static var newAxis: TensorIndex { TensorIndex(.newAxis) }
    /// One element along the axis (removing it).
    public static func at(_ i: Int) -> TensorIndex { TensorIndex(.at(i)) }
    /// Python's `start:stop:step`.
    public static func slice(_ start: Int?, _ stop: Int?, step: Int = 1) -> TensorIndex {
        TensorIndex(.slice(start, stop, step: step))
    }
}

/// An integer picks one element along its axis, removing the axis: `x[1]`, `x[-1]`.
extension Int: TensorIndexExpression {
    /// `.at(self)`.
    public var tensorIndex: TensorIndex { .at(self) }
}

/// A half-open range slices its axis: `x[0..<2]`.
extension Range: TensorIndexExpression where Bound == Int {
    /// `.slice(lowerBound, upperBound)`.
    public var tensorIndex: TensorIndex { .slice(lowerBound, upperBound) }
}

/// A closed range slices its axis, the upper bound included: `x[0...1]`.
extension ClosedRange: TensorIndexExpression where Bound == Int {
    /// `.slice(lowerBound, upperBound + 1)` (`-3...-1` takes the last three).
    public var tensorIndex: TensorIndex { .slice(lowerBound, upperBound == -1 ? nil : upperBound + 1) }
}

/// A range from a bound slices to the end of its axis: `x[1...]`.
extension PartialRangeFrom: TensorIndexExpression where Bound == Int {
    /// `.slice(lowerBound, nil)`.
    public var tensorIndex: TensorIndex { .slice(lowerBound, nil) }
}

/// A range up to a bound slices from the start of its axis: `x[..<2]`.
extension PartialRangeUpTo: TensorIndexExpression where Bound == Int {
    /// `.slice(nil, upperBound)`.
    public var tensorIndex: TensorIndex { .slice(nil, upperBound) }
}

/// A range through a bound slices from the start, the bound included: `x[...1]`.
extension PartialRangeThrough: TensorIndexExpression where Bound == Int {
    /// `.slice(nil, upperBound + 1)`.
    public var tensorIndex: TensorIndex { .slice(nil, upperBound == -1 ? nil : upperBound + 1) }
}

extension Tensor {
    /// The tensor indexed as NumPy and PyTorch index with integers, slices, `...` and
    /// `None`: `x[1]` (a row, rank one less), `x[-1]`, `x[0..<2]`, `x[.all, 1]` (a column),
    /// `x[.ellipsis, 0]`, `x[.newAxis]`. Positions apply to the leading axes; the rest are
    /// kept whole. Differentiable: made of `take`, `slice` and `unsqueeze`.
    ///
    /// An index out of range, a second `...` or more positions than axes trap naming the
    /// caller's file and line, as PyTorch raises `IndexError`; inside a `withError` scope
    /// the scope throws the error instead.
    public subscript(_ indices: any TensorIndexExpression..., file file: StaticString = #fileID, line line: UInt = #line) -> Tensor {
        indexed(indices.map(\.tensorIndex), file: file, line: line)
    }

    /// The tensor indexed by `indices` (see `subscript(_:file:line:)`).
    public func indexed(_ indices: [TensorIndex], file: StaticString = #fileID, line: UInt = #line) -> Tensor {
        let consuming = indices.filter { $0.kind != .newAxis && $0.kind != .ellipsis }.count
        if indices.filter({ $0.kind == .ellipsis }).count > 1 {
            return Tensor.misuse("an index can only have a single ellipsis ('...')", file: file, line: line)
        }
        if consuming > rank {
            return Tensor.misuse(
                "too many indices for tensor of dimension \(rank) (got \(consuming))", file: file, line: line)
        }
        var expanded: [TensorIndex.Kind] = []
        for index in indices {
            if index.kind == .ellipsis {
                expanded += [TensorIndex.Kind](repeating: .all, count: rank - consuming)
            } else {
                expanded.append(index.kind)
            }
        }
        var result = self
        var axis = 0  // the axis of `result` the next position applies to
        for index in expanded {
            switch index {
            case .at(let i):
                result = result.take(Tensor(T(i)), axis: axis, file: file, line: line)
            case .slice(let start, let stop, let step):
                if start != nil || stop != nil || step != 1 {
                    result = result.slice(axis: axis, start: start, stop: stop, step: step, file: file, line: line)
                }
                axis += 1
            case .all, .ellipsis:
                axis += 1
            case .newAxis:
                result = result.unsqueezed(axis: axis, file: file, line: line)
                axis += 1
            }
        }
        return result
    }
}

// Building arrays from nested Swift arrays, and printing them nested, as NumPy does.

extension NDArray {
    /// A 1-D array.
    public init(_ values: [T]) {
        self.init(shape: [values.count], data: values)
    }

    /// A 2-D array from rows of equal length.
    // Specialised, and copied row by row into storage of the final size: the generic
    // `flatMap` this replaced cost 10,700 instructions for the README example's 2×2 (W1).
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public init(_ rows: [[T]]) {
        let cols = rows.first?.count ?? 0
        precondition(rows.allSatisfy { $0.count == cols }, "NDArray: ragged rows")
        let data = [T](unsafeUninitializedCapacity: rows.count * cols) { buffer, count in
            for (i, row) in rows.enumerated() {
                row.withUnsafeBufferPointer { src in
                    guard let s = src.baseAddress, let d = buffer.baseAddress else { return }
                    (d + i * cols).initialize(from: s, count: cols)
                }
            }
            count = rows.count * cols
        }
        self.init(shape: [rows.count, cols], data: data)
    }

    /// A 3-D array from equally shaped matrices.
    public init(_ planes: [[[T]]]) {
        let inner = planes.map { NDArray($0) }
        let shape = inner.first?.shape ?? [0, 0]
        precondition(inner.allSatisfy { $0.shape == shape }, "NDArray: ragged planes")
        self.init(shape: [planes.count] + shape, data: inner.flatMap(\.data))
    }
}

extension NDArray: CustomStringConvertible {
    /// Nested brackets in row-major order: `[[1.0, 2.0], [3.0, 4.0]]`; a scalar prints bare.
    /// Above 1,000 elements it is summarised as NumPy does: an axis longer than 6 shows
    /// its first and last 3 entries around `...`.
    public var description: String {
        var out = ""
        write(axis: 0, offset: 0, strides: Shape.strides(shape), summarised: count > 1000, into: &out)
        return out
    }

    private func write(axis: Int, offset: Int, strides: [Int], summarised: Bool, into out: inout String) {
        if axis == shape.count {
            out += data[offset].description
            return
        }
        let n = shape[axis], edge = 3
        out += "["
        for i in 0..<n {
            if summarised && n > 2 * edge && i >= edge && i < n - edge {
                if i == edge { out += ", ..." }
                continue
            }
            if i > 0 { out += ", " }
            write(axis: axis + 1, offset: offset + i * strides[axis], strides: strides, summarised: summarised, into: &out)
        }
        out += "]"
    }
}

extension Tensor {
    /// A scalar leaf.
    @inlinable
    public convenience init(_ value: T, requiresGrad: Bool = false) {
        self.init(NDArray(scalar: value), requiresGrad: requiresGrad)
    }

    /// A 1-D leaf.
    public convenience init(_ values: [T], requiresGrad: Bool = false) {
        self.init(NDArray(values), requiresGrad: requiresGrad)
    }

    /// A 2-D leaf.
    public convenience init(_ rows: [[T]], requiresGrad: Bool = false) {
        self.init(NDArray(rows), requiresGrad: requiresGrad)
    }

    /// A 3-D leaf.
    public convenience init(_ planes: [[[T]]], requiresGrad: Bool = false) {
        self.init(NDArray(planes), requiresGrad: requiresGrad)
    }

    /// A leaf of the given shape and row-major values.
    public convenience init(shape: [Int], scalars: [T], requiresGrad: Bool = false) {
        self.init(NDArray(shape: shape, data: scalars), requiresGrad: requiresGrad)
    }
}

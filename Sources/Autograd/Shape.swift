/// Shape arithmetic shared by every op: element counts, strides, broadcasting and axes.
public enum Shape {
    /// The number of elements of `shape`, or `nil` when a dimension is negative or the
    /// product overflows `Int`.
    public static func count(_ shape: [Int]) -> Int? {
        var n = 1
        for d in shape {
            guard d >= 0 else { return nil }
            let (p, overflow) = n.multipliedReportingOverflow(by: d)
            if overflow { return nil }
            n = p
        }
        return n
    }

    /// Row-major strides of `shape`.
    @inlinable
    public static func strides(_ shape: [Int]) -> [Int] {
        var strides = [Int](repeating: 1, count: shape.count)
        var s = 1
        for i in stride(from: shape.count - 1, through: 0, by: -1) {
            strides[i] = s
            s &*= shape[i]
        }
        return strides
    }

    /// The NumPy broadcast of two shapes, or `nil` when they are incompatible.
    public static func broadcast(_ a: [Int], _ b: [Int]) -> [Int]? {
        let rank = max(a.count, b.count)
        var out = [Int](repeating: 1, count: rank)
        for i in 0..<rank {
            let da = i < rank - a.count ? 1 : a[i - (rank - a.count)]
            let db = i < rank - b.count ? 1 : b[i - (rank - b.count)]
            if da == db || db == 1 {
                out[i] = da
            } else if da == 1 {
                out[i] = db
            } else {
                return nil
            }
        }
        return out
    }

    /// Strides for reading an array of `shape` as if it had the broadcast shape `target`:
    /// 0 along every axis the array is broadcast over.
    static func broadcastStrides(_ shape: [Int], to target: [Int]) -> [Int] {
        let own = strides(shape)
        let offset = target.count - shape.count
        var out = [Int](repeating: 0, count: target.count)
        for i in 0..<shape.count where shape[i] != 1 || target[i + offset] == 1 {
            out[i + offset] = shape[i] == 1 ? 0 : own[i]
        }
        return out
    }

    /// Normalises possibly negative `axes` against `rank`, sorted and without duplicates.
    /// `nil` axes mean every axis. Throws a message naming the bad axis.
    public static func normalizeAxes(_ axes: [Int]?, rank: Int) throws(ShapeMessage) -> [Int] {
        guard let axes else { return Array(0..<rank) }
        var seen = [Bool](repeating: false, count: rank)
        for a in axes {
            let r = max(rank, 1)
            guard a >= -r && a < r else {
                throw ShapeMessage("axis \(a) is out of range for a tensor of rank \(rank)")
            }
            if rank == 0 { continue }  // NumPy and PyTorch accept axis 0 / -1 on a scalar
            let n = a < 0 ? a + rank : a
            guard !seen[n] else { throw ShapeMessage("axis \(a) is repeated") }
            seen[n] = true
        }
        return (0..<rank).filter { seen[$0] }
    }

    /// Shape text as the error messages print it: `[2, 3]`.
    public static func describe(_ shape: [Int]) -> String {
        "[" + shape.map(String.init).joined(separator: ", ") + "]"
    }
}

/// A human-readable reason a shape or axis is not acceptable.
public struct ShapeMessage: Error, Sendable, Equatable {
    /// The reason, for an error message.
    public let text: String
    /// A message with this text.
    public init(_ text: String) { self.text = text }
}

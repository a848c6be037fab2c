/// A JSON array of finite numbers, or a rectangular nest of such arrays (`[[1, 2], [3, 4]]`),
/// stored as its shape and its numbers flat in row-major order: what the parser makes of a
/// tensor's `data` instead of one `JSONValue` per number (see `JSONParser.parse(_:maxDepth:packing:)`).
public struct JSONNumberArray: Sendable, Equatable {
    /// The length at each level of nesting: `[2, 2]` for `[[1, 2], [3, 4]]`, `[0]` for `[]`,
    /// `[2, 0]` for `[[], []]`.
    public let shape: [Int]
    /// The numbers, row-major, each correctly rounded to `Double` as the parser reads any
    /// number. All finite (the parser leaves an array with an out-of-range literal such as
    /// `1e400` unpacked, for the decoder to report).
    public let values: [Double]
    /// Bit `k % 64` of word `k / 64` is set when number `k` was an integer literal; empty
    /// when none was.
    let integerLiteralBits: [UInt64]
    /// The few numbers whose `float32Tie` is not 0, in index order.
    let float32Ties: [Float32Tie]

    struct Float32Tie: Sendable, Equatable {
        let index: Int
        let tie: Int8
    }

    init(shape: [Int], values: [Double], integerLiteralBits: [UInt64], float32Ties: [Float32Tie]) {
        self.shape = shape
        self.values = values
        self.integerLiteralBits = integerLiteralBits
        self.float32Ties = float32Ties
    }

    public var count: Int { values.count }

    /// Number `k` as the parser read it.
    public func number(_ k: Int) -> JSONNumber {
        let word = k >> 6
        let integer = word < integerLiteralBits.count && integerLiteralBits[word] & (1 << UInt64(k & 63)) != 0
        var tie: Int8 = 0
        if !float32Ties.isEmpty, let t = float32Ties.first(where: { $0.index == k }) { tie = t.tie }
        return JSONNumber(value: values[k], isIntegerLiteral: integer, float32Tie: tie)
    }

    /// The array as `.array`s of `.number`s (the document it stands for).
    public var elements: [JSONValue] {
        var k = 0
        func level(_ axis: Int) -> [JSONValue] {
            (0..<shape[axis]).map { _ in
                if axis == shape.count - 1 {
                    defer { k += 1 }
                    return .number(number(k))
                }
                return .array(level(axis + 1))
            }
        }
        return shape.isEmpty ? [] : level(0)
    }

    /// The numbers correctly rounded to `Float` (see `JSONNumber.float32Value`).
    public var float32Values: [Float] { Self.float32(values, ties: float32Ties) }

    // MARK: Float rounding

    /// `values` rounded to `Float`, with the ties of `ties` broken as the text says.
    static func float32(_ values: [Double], ties: [Float32Tie]) -> [Float] {
        let n = values.count
        var floats = [Float](unsafeUninitializedCapacity: n) { out, initialized in
            values.withUnsafeBufferPointer { src in
                for k in 0..<n { out[k] = Float(src[k]) }
            }
            initialized = n
        }
        for t in ties { floats[t.index] = float32(values[t.index], tie: t.tie) }
        return floats
    }

    /// `d` rounded to `Float`; when `tie` is not 0, `d` is halfway between two `Float`s and
    /// the text was on the side `tie` says (in magnitude).
    static func float32(_ d: Double, tie: Int8) -> Float {
        let f = Float(d)
        guard tie != 0 else { return f }
        let m = d.magnitude, fm = f.magnitude
        let (lo, hi) = Double(fm) < m ? (fm, fm.nextUp) : (fm.nextDown, fm)
        let r = tie > 0 ? hi : lo
        return d < 0 ? -r : r
    }

    /// Whether the positive finite `d` is exactly halfway between two `Float`s (or between
    /// the largest `Float` and 2^128, where rounding overflows). Cheap for most values: a
    /// midpoint has at most 25 significant bits, so its low 28 significand bits are zero.
    @inline(__always)
    static func isFloat32Midpoint(_ d: Double) -> Bool {
        guard d.bitPattern & 0x0FFF_FFFF == 0 else { return false }
        return isFloat32MidpointSlow(d)
    }

    @inline(never)
    static func isFloat32MidpointSlow(_ d: Double) -> Bool {
        let f = Float(d)
        if f.isInfinite { return d == Double(Float.greatestFiniteMagnitude) + 0x1p103 }
        let fd = Double(f)
        if fd == d { return false }
        let g = Double(fd < d ? f.nextUp : f.nextDown)
        guard g.isFinite else { return false }
        return (fd + g) * 0.5 == d
    }
}

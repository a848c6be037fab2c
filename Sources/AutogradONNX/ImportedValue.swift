import Autograd

/// Values known when the model is imported: shapes (`Shape`), `Constant` nodes,
/// constant initializers, and everything computed from them alone. Shape arithmetic
/// (Shape -> Gather -> Concat -> Reshape) is evaluated on these, once, at import.
struct Constant {
    var shape: [Int]
    /// Row-major, in float64 (exact for float32 values and for integers up to 2^53).
    var values: [Double]
    /// Whether ONNX holds it as an integer (or bool) tensor: then arithmetic truncates.
    var isInteger: Bool

    init(shape: [Int], values: [Double], isInteger: Bool) {
        self.shape = shape
        self.values = values
        self.isInteger = isInteger
    }

    static func ints(_ v: [Int]) -> Constant { Constant(shape: [v.count], values: v.map(Double.init), isInteger: true) }
    static func scalar(_ v: Double) -> Constant { Constant(shape: [], values: [v], isInteger: false) }

    /// The values as integers, or why they are not.
    func integers(_ what: String) throws(ImportFailure) -> [Int] {
        var out: [Int] = []
        out.reserveCapacity(values.count)
        for v in values {
            guard v.isFinite, v.rounded() == v, abs(v) < 9.0e15 else { throw ImportFailure("\(what) must hold integers; it holds \(v)") }
            out.append(Int(v))
        }
        return out
    }

    /// The values as integers clamped to ±2^53: Slice's ends and the like, where exporters
    /// write INT64_MAX for "to the end" and any value past the axis means the same.
    func clampedIntegers(_ what: String) throws(ImportFailure) -> [Int] {
        var out: [Int] = []
        out.reserveCapacity(values.count)
        for v in values {
            guard !v.isNaN else { throw ImportFailure("\(what) must hold integers; it holds NaN") }
            let limit = Double(1 << 53)
            out.append(Int(min(max(v.rounded(.towardZero), -limit), limit)))
        }
        return out
    }

    var array: NDArray<Double> { NDArray(shape: shape, data: values) }
}

/// An operand of a node during import: a value with the name it has (or will have, once
/// materialised) in the request.
struct Operand {
    enum Value {
        /// Computed at run time by a tensor or op of the request, of this shape.
        case runtime(shape: [Int])
        /// Known now.
        case constant(Constant)
    }
    /// Its name in the request; nil for a constant the importer made (a Gemm's alpha),
    /// which gets a fresh name if an op needs it at run time.
    var name: String?
    var value: Value

    var shape: [Int] {
        switch value {
        case .runtime(let s): s
        case .constant(let c): c.shape
        }
    }

    var constant: Constant? {
        if case .constant(let c) = value { return c }
        return nil
    }

    static func const(_ c: Constant) -> Operand { Operand(name: nil, value: .constant(c)) }
}

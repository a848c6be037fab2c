// `x + c` and `x * c` for a constant scalar `c`: what the Swift API's `tensor + 2` and
// `tensor * 2` record. They are not registered (the graph format spells a constant as a
// tensor and uses `add` and `mul`); they exist because wrapping each constant in a leaf
// tensor of its own cost a tensor, an array and a two-input node per operation, most of
// the per-node cost of a scalar chain (W4 in issue 4). Their values are the same bytes as
// `add` and `mul` with a scalar operand: the same IEEE operation on each element.

/// `x + c` elementwise, for a constant `c`.
@usableFromInline
struct AddScalar: Operator {
    static let valueAttribute = AttributeSpec("value", .number, default: .number(0), "the constant c")
    @usableFromInline static let signature = OpSignature(
        name: "add_scalar", arity: .exactly(1), inputs: ["x"], attributes: [valueAttribute],
        summary: "x + c for a constant c (the Swift API's tensor + scalar)")

    /// The constant, exact for both precisions (a `Float` converts to `Double` exactly).
    let value: Double

    @usableFromInline
    init<T: Scalar>(_ value: T) { self.value = Double(value) }
    @usableFromInline init(attributes: Attributes) throws(OpError) { value = try attributes.number("value") }

    @usableFromInline func outputShape(_ inputs: [[Int]]) -> [Int] { inputs[0] }

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    @usableFromInline func forward<T: Scalar>(_ x: [NDArray<T>]) -> NDArray<T> { forward(unary: x[0]) }

    // d(x + c)/dx = 1. Specialised even so: run generically, building the one-element
    // result array looks up its type's metadata (five times the cost of `mul_scalar`'s).
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    @usableFromInline func vjp<T: Scalar>(
        _ grad: NDArray<T>, inputs: [NDArray<T>], output: NDArray<T>, needs: [Bool]
    ) -> [NDArray<T>?] {
        [grad]
    }

    @usableFromInline static var isUnaryInPlace: Bool { true }

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    @usableFromInline func forward<T: Scalar>(unary x: NDArray<T>) -> NDArray<T> {
        let c = T(value)
        return x.map { $0 + c }
    }

    /// The gradient passes through unchanged.
    @usableFromInline func vjp<T: Scalar>(unary grad: inout NDArray<T>, input: NDArray<T>, output: NDArray<T>) {}
}

/// `x * c` elementwise, for a constant `c`.
@usableFromInline
struct MulScalar: Operator {
    @usableFromInline static let signature = OpSignature(
        name: "mul_scalar", arity: .exactly(1), inputs: ["x"], attributes: [AddScalar.valueAttribute],
        summary: "x * c for a constant c (the Swift API's tensor * scalar)")

    /// The constant, exact for both precisions (a `Float` converts to `Double` exactly).
    let value: Double

    @usableFromInline
    init<T: Scalar>(_ value: T) { self.value = Double(value) }
    @usableFromInline init(attributes: Attributes) throws(OpError) { value = try attributes.number("value") }

    @usableFromInline func outputShape(_ inputs: [[Int]]) -> [Int] { inputs[0] }

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    @usableFromInline func forward<T: Scalar>(_ x: [NDArray<T>]) -> NDArray<T> { forward(unary: x[0]) }

    // d(x c)/dx = c, as `mul` computes it: g * c.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    @usableFromInline func vjp<T: Scalar>(
        _ grad: NDArray<T>, inputs: [NDArray<T>], output: NDArray<T>, needs: [Bool]
    ) -> [NDArray<T>?] {
        var g = grad
        vjp(unary: &g, input: inputs[0], output: output)
        return [g]
    }

    @usableFromInline static var isUnaryInPlace: Bool { true }

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    @usableFromInline func forward<T: Scalar>(unary x: NDArray<T>) -> NDArray<T> {
        let c = T(value)
        return x.map { $0 * c }
    }

    /// g * c, each element in place: the same IEEE products as `vjp`'s.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    @usableFromInline func vjp<T: Scalar>(unary grad: inout NDArray<T>, input: NDArray<T>, output: NDArray<T>) {
        let c = T(value)
        grad.data.withUnsafeMutableBufferPointer { g in
            for i in g.indices { g[i] *= c }
        }
    }
}

/// A one-input elementwise op declared by its formula, the unit every elementwise op is
/// written as (PyTorch's derivatives.yaml, tinygrad's primitives): the value `f(x)` and the
/// gradient `g f'(x)` in terms of `x`, the output `y` and the upstream gradient `g`, with its
/// kink convention in a comment beside it. A conforming type states its signature and
/// these two functions; the shape rule, the eager kernel, the vector-Jacobian product and
/// the fused instruction (`FusedElementwise.Unary.formula`) all come from them:
///
/// ```swift
/// public struct Sin: UnaryElementwise {
///     public static let signature = OpSignature(name: "sin", arity: .exactly(1), inputs: ["x"], summary: "sine")
///     public init() {}
///     public init(attributes: Attributes) {}
///     public func value<T: Scalar>(_ x: T) -> T { T.sin(x) }
///     public func derivative<T: Scalar>(_ g: T, x: T, y: T) -> T { g * T.cos(x) }
/// }
/// ```
///
/// The tile loops are protocol requirements with default implementations (below) so that
/// each op's witness is compiled for its own formula and each precision: the formula
/// inlines into a tight loop over unsafe buffers, not a call per element.
public protocol UnaryElementwise: Operator, Equatable {
    /// `f(x)`.
    func value<T: Scalar>(_ x: T) -> T

    /// The input's gradient `g f'(x)`, given the input `x`, the output `y = f(x)` and the
    /// upstream gradient `g`, in the order of operations torch's backward uses.
    func derivative<T: Scalar>(_ g: T, x: T, y: T) -> T

    /// The hand-written fused instruction of an op that has one (FusedScratch's loops,
    /// bit-identical to the formula); nil, the default: the fused kernel runs the formula.
    var kernel: FusedElementwise.Unary? { get }

    /// `y[i] = f(x[i])` for `i < m`.
    func valueTile(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ m: Int)
    /// `y[i] = f(x[i])` for `i < m`, in `Double`.
    func valueTile(_ x: UnsafePointer<Double>, _ y: UnsafeMutablePointer<Double>, _ m: Int)

    /// `d[i] = derivative(g[i], x[i], y[i])` for `i < m`.
    func derivativeTile(
        _ g: UnsafePointer<Float>, _ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>,
        _ d: UnsafeMutablePointer<Float>, _ m: Int)
    /// `d[i] = derivative(g[i], x[i], y[i])` for `i < m`, in `Double`.
    func derivativeTile(
        _ g: UnsafePointer<Double>, _ x: UnsafePointer<Double>, _ y: UnsafePointer<Double>,
        _ d: UnsafeMutablePointer<Double>, _ m: Int)
}

extension UnaryElementwise {
    public var kernel: FusedElementwise.Unary? { nil }

    public func valueTile(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ m: Int) {
        for i in 0..<m { y[i] = value(x[i]) }
    }

    /// `y[i] = f(x[i])` for `i < m`, in `Double`: `value(_:)` per element.
    public func valueTile(_ x: UnsafePointer<Double>, _ y: UnsafeMutablePointer<Double>, _ m: Int) {
        for i in 0..<m { y[i] = value(x[i]) }
    }

    public func derivativeTile(
        _ g: UnsafePointer<Float>, _ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>,
        _ d: UnsafeMutablePointer<Float>, _ m: Int
    ) {
        for i in 0..<m { d[i] = derivative(g[i], x: x[i], y: y[i]) }
    }

    /// `d[i] = derivative(g[i], x[i], y[i])` for `i < m`, in `Double`: `derivative(_:x:y:)` per element.
    public func derivativeTile(
        _ g: UnsafePointer<Double>, _ x: UnsafePointer<Double>, _ y: UnsafePointer<Double>,
        _ d: UnsafeMutablePointer<Double>, _ m: Int
    ) {
        for i in 0..<m { d[i] = derivative(g[i], x: x[i], y: y[i]) }
    }

    /// The tile loop for `T` (Float or Double, the only `Scalar`s).
    @inline(__always)
    func values<T: Scalar>(_ x: UnsafePointer<T>, _ y: UnsafeMutablePointer<T>, _ m: Int) {
        if T.self == Float.self {
            valueTile(UnsafeRawPointer(x).assumingMemoryBound(to: Float.self),
                      UnsafeMutableRawPointer(y).assumingMemoryBound(to: Float.self), m)
        } else {
            valueTile(UnsafeRawPointer(x).assumingMemoryBound(to: Double.self),
                      UnsafeMutableRawPointer(y).assumingMemoryBound(to: Double.self), m)
        }
    }

    @inline(__always)
    func derivatives<T: Scalar>(
        _ g: UnsafePointer<T>, _ x: UnsafePointer<T>, _ y: UnsafePointer<T>, _ d: UnsafeMutablePointer<T>, _ m: Int
    ) {
        if T.self == Float.self {
            derivativeTile(UnsafeRawPointer(g).assumingMemoryBound(to: Float.self),
                           UnsafeRawPointer(x).assumingMemoryBound(to: Float.self),
                           UnsafeRawPointer(y).assumingMemoryBound(to: Float.self),
                           UnsafeMutableRawPointer(d).assumingMemoryBound(to: Float.self), m)
        } else {
            derivativeTile(UnsafeRawPointer(g).assumingMemoryBound(to: Double.self),
                           UnsafeRawPointer(x).assumingMemoryBound(to: Double.self),
                           UnsafeRawPointer(y).assumingMemoryBound(to: Double.self),
                           UnsafeMutableRawPointer(d).assumingMemoryBound(to: Double.self), m)
        }
    }

    /// Whether `other` is this op with the same attributes.
    func isEqual(to other: any UnaryElementwise) -> Bool { (other as? Self) == self }

    // MARK: the Operator requirements, from the formula

    /// The input's shape: the op is elementwise.
    public func outputShape(_ inputs: [[Int]]) -> [Int] { Shape.sameShapeRule(inputs) }

    public func fusedInstruction(operands: [Int]) -> FusedElementwise.Instruction? {
        operands.count == 1 ? .unary(kernel ?? .formula(.init(self)), operands[0]) : nil
    }

    public func forward<T: Scalar>(_ x: [NDArray<T>]) -> NDArray<T> {
        let n = x[0].count
        // An op with a fused kernel of its own, when large: the kernel straight over the
        // computation's threads. A fused op built for that one instruction computed the
        // same values in tiles through scratch registers, about four times as long (relu
        // at [128, 512]: 14–20 µs).
        if let kernel, n >= Parallel.minimumElements, ThreadBudget.threadsPerComputation > 1 {
            return x[0].data.withUnsafeBufferPointer { src in
                NDArray(shape: x[0].shape) { dst in
                    guard let s = src.baseAddress, let d = dst.baseAddress else { return }
                    let p = UncheckedSendable((s, d))
                    Parallel.forEachRange(n) { start, end in
                        FusedScratch<T>.unary(kernel, p.value.0 + start, p.value.1 + start, end - start)
                    }
                }
            }
        }
        if let y = FusedElementwise.large(.unary(.formula(.init(self)), 0), x) { return y }
        return x[0].data.withUnsafeBufferPointer { src in
            NDArray(shape: x[0].shape) { dst in
                if n > 0, let s = src.baseAddress, let d = dst.baseAddress { values(s, d, n) }
            }
        }
    }

    public func vjp<T: Scalar>(
        _ grad: NDArray<T>, inputs x: [NDArray<T>], output: NDArray<T>, needs: [Bool]
    ) -> [NDArray<T>?] {
        // An op with a fused kernel of its own (ReLU, exp, tanh, ...) differentiates through
        // it when large. A formula op does it from the saved output, split over the
        // computation's threads: the fused kernel's backward would evaluate the formula
        // again for a y it already has (GELU's erf twice: 0.7 of its backward).
        // Elementwise, so the same bytes on any split.
        if let kernel, let g = FusedElementwise.largeGradient(.unary(kernel, 0), grad, x, needs: needs) {
            return g
        }
        let n = grad.count
        return [
            grad.data.withUnsafeBufferPointer { g in
                x[0].data.withUnsafeBufferPointer { xs in
                    output.data.withUnsafeBufferPointer { ys in
                        NDArray(shape: grad.shape) { dst in
                            guard n > 0, let g = g.baseAddress, let xs = xs.baseAddress, let ys = ys.baseAddress,
                                let d = dst.baseAddress
                            else { return }
                            Parallel.forEachRange(n) { start, end in
                                derivatives(g + start, xs + start, ys + start, d + start, end - start)
                            }
                        }
                    }
                }
            }
        ]
    }
}

extension FusedElementwise {
    /// A formula-declared op as a fused instruction: equal when the ops and their
    /// attributes are.
    public struct Formula: Sendable, Equatable {
        /// The op whose formula the instruction evaluates.
        public let op: any UnaryElementwise

        /// The instruction evaluating `op`'s formula.
        public init(_ op: any UnaryElementwise) { self.op = op }

        public static func == (a: Formula, b: Formula) -> Bool { a.op.isEqual(to: b.op) }
    }
}

/// A chain of elementwise ops (and optionally a final sum) run as one op: one pass over
/// memory forward and one backward, tile by tile, with every intermediate in cache and the
/// tiles split over the thread budget.
///
/// When a whole graph is known before it runs, elementwise steps whose intermediates
/// nothing else reads can be fused: the graph format does this for every request
/// (`AutogradGraph`'s planner), and a Swift program can trace one with `fuse`:
///
/// ```swift
/// let f = try FusedElementwise.trace(inputs: 2) { x in ((x[0] * x[1] + x[0]).sigmoid()).sum() }
/// let loss = try Tensor.apply(f, [a, b])   // a, b: Tensor<Float> of the same shape
/// try loss.backward()                      // a.grad, b.grad
/// ```
///
/// Each instruction computes exactly what its op computes (the same scalar functions, in
/// the same order), so a fused graph's values and gradients equal the unfused graph's —
/// to the bit, except where one input feeds three or more instructions and its gradient
/// contributions are added in a different order.
///
/// Inputs either have the op's element shape (the broadcast of all input shapes) or hold
/// a single element, which is broadcast.
public struct FusedElementwise: Operator {
    public static let signature = OpSignature(
        name: "fused_elementwise", arity: .atLeast(1), inputs: ["x..."],
        summary: "a chain of elementwise ops and an optional final sum, in one pass")

    /// A one-operand instruction.
    public enum Unary: Sendable, Equatable {
        case neg, exp, log, sigmoid, tanh, relu, sqrt, abs, softplus
        case leakyReLU(slope: Double)
        /// A `UnaryElementwise` op's own formula (every elementwise op without a
        /// hand-written instruction above).
        case formula(Formula)
    }

    /// A two-operand instruction.
    public enum Binary: Sendable, Equatable {
        case add, sub, mul, div, maximum, minimum
    }

    /// One instruction; operands are registers. Registers `0..<inputCount` hold the
    /// inputs, register `inputCount + k` the value of instruction `k`.
    public enum Instruction: Sendable, Equatable {
        case unary(Unary, Int)
        case binary(Binary, Int, Int)
        /// A constant, broadcast (a scalar operand of the Swift API's `x * 1.0001`).
        case constant(Double)
    }

    public let inputCount: Int
    public let instructions: [Instruction]
    /// Whether the output is the sum of the last instruction's values (a scalar) rather
    /// than those values.
    public let sumsOutput: Bool
    /// Whether this summed op is a loss: differentiated with the default seed, 1. Its
    /// forward pass then computes its inputs' gradients too, in the same pass over memory
    /// (the vector-Jacobian product is linear in the upstream gradient, so these are the
    /// ones for 1), and the backward pass hands them over when the upstream gradient is
    /// exactly 1 — the same bits a separate backward pass computes. Any other upstream
    /// gradient gets that separate pass.
    public let gradientsInForward: Bool

    /// A program over `inputCount` inputs whose last instruction is the output. Operands
    /// must name earlier registers.
    public init(
        inputCount: Int, instructions: [Instruction], sumsOutput: Bool = false, gradientsInForward: Bool = false
    ) throws(OpError) {
        guard inputCount >= 1 else { throw .shape("a fused op needs at least one input") }
        guard !instructions.isEmpty else { throw .shape("a fused op needs at least one instruction") }
        for (k, instruction) in instructions.enumerated() {
            let limit = inputCount + k
            switch instruction {
            case .unary(_, let a):
                guard a >= 0 && a < limit else { throw .shape("instruction \(k) reads register \(a), not yet computed") }
            case .binary(_, let a, let b):
                guard a >= 0 && a < limit && b >= 0 && b < limit else {
                    throw .shape("instruction \(k) reads a register not yet computed")
                }
            case .constant: break
            }
        }
        self.inputCount = inputCount
        self.instructions = instructions
        self.sumsOutput = sumsOutput
        self.gradientsInForward = sumsOutput && gradientsInForward
    }

    public init(attributes: Attributes) throws(OpError) {
        throw .shape("fused_elementwise is built by the planner or by FusedElementwise.trace, not from attributes")
    }

    /// The element shape: the broadcast of the inputs, each of which has it or holds one
    /// element.
    public func outputShape(_ inputs: [[Int]]) throws(OpError) -> [Int] {
        guard inputs.count == inputCount else {
            throw .shape("fused_elementwise takes \(inputCount) inputs, got \(inputs.count)")
        }
        let shape = try elementShape(inputs)
        return sumsOutput ? [] : shape
    }

    func elementShape(_ inputs: [[Int]]) throws(OpError) -> [Int] {
        let shape = try Shape.broadcastRule(inputs)
        let n = Shape.count(shape) ?? 0
        for s in inputs {
            let c = Shape.count(s) ?? 0
            guard c == n || c == 1 else {
                throw .shape("a fused input of shape \(Shape.describe(s)) is neither the element shape \(Shape.describe(shape)) nor one element")
            }
        }
        return shape
    }

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func forward<T: Scalar>(_ x: [NDArray<T>]) -> NDArray<T> {
        let shape = (try? elementShape(x.map(\.shape))) ?? []
        return FusedKernel<T>(self, inputs: x, count: Shape.count(shape) ?? 0).forward(shape: shape)
    }

    public static var savesForBackward: Bool { true }

    /// With `gradientsInForward`, the sum and the gradients (for an upstream gradient of 1)
    /// of the inputs in `needs`, in one pass; otherwise `forward` alone.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func forward<T: Scalar>(_ x: [NDArray<T>], saving needs: [Bool]) -> (NDArray<T>, [NDArray<T>?]) {
        guard gradientsInForward, needs.contains(true), let shape = try? elementShape(x.map(\.shape)) else {
            return (forward(x), [])
        }
        let (sum, gradients) = FusedKernel<T>(self, inputs: x, count: Shape.count(shape) ?? 0)
            .sumWithGradients(needs: needs, shape: shape)
        return (NDArray(scalar: sum), gradients)
    }

    /// The gradients the forward pass saved, when the upstream gradient is exactly 1 and
    /// they cover `needs`; otherwise the backward pass.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func vjp<T: Scalar>(
        _ grad: NDArray<T>, inputs x: [NDArray<T>], output: NDArray<T>, saved: [NDArray<T>?], needs: [Bool]
    ) -> [NDArray<T>?] {
        if grad.count == 1, grad.data[0] == 1, saved.count == needs.count,
           needs.indices.allSatisfy({ !needs[$0] || saved[$0] != nil }) {
            return needs.indices.map { needs[$0] ? saved[$0] : nil }
        }
        return vjp(grad, inputs: x, output: output, needs: needs)
    }

    /// Each needed input's gradient in the element shape (the engine sums a one-element
    /// input's back down).
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func vjp<T: Scalar>(
        _ grad: NDArray<T>, inputs x: [NDArray<T>], output: NDArray<T>, needs: [Bool]
    ) -> [NDArray<T>?] {
        let shape = (try? elementShape(x.map(\.shape))) ?? []
        return FusedKernel<T>(self, inputs: x, count: Shape.count(shape) ?? 0).backward(grad, needs: needs, shape: shape)
    }
}

extension FusedElementwise {
    /// The instruction computing `op` of registers `operands`, when `op` is an elementwise
    /// op the fused kernels implement (the planner's question); `nil` otherwise.
    public static func instruction(for op: any Operator, operands: [Int]) -> Instruction? {
        op.fusedInstruction(operands: operands)
    }

    /// Whether `op` applied to an input of `shape` sums every element into a scalar: the
    /// reduction a fused op may end with.
    public static func isFullSum(_ op: any Operator, inputShape shape: [Int]) -> Bool {
        guard let sum = op as? Sum, !sum.keepdims else { return false }
        guard let axes = sum.axes else { return true }
        guard let normalized = try? Shape.normalizeAxes(axes, rank: shape.count) else { return false }
        return Set(normalized).count == shape.count
    }

}

// The elementwise ops' instructions.
extension FusedElementwise.Instruction {
    static func binary(_ kind: FusedElementwise.Binary, _ operands: [Int]) -> Self? {
        operands.count == 2 ? .binary(kind, operands[0], operands[1]) : nil
    }
}

extension Add { public func fusedInstruction(operands: [Int]) -> FusedElementwise.Instruction? { .binary(.add, operands) } }
extension Sub { public func fusedInstruction(operands: [Int]) -> FusedElementwise.Instruction? { .binary(.sub, operands) } }
extension Mul { public func fusedInstruction(operands: [Int]) -> FusedElementwise.Instruction? { .binary(.mul, operands) } }
extension Div { public func fusedInstruction(operands: [Int]) -> FusedElementwise.Instruction? { .binary(.div, operands) } }
extension Maximum {
    public func fusedInstruction(operands: [Int]) -> FusedElementwise.Instruction? { .binary(.maximum, operands) }
}
extension Minimum {
    public func fusedInstruction(operands: [Int]) -> FusedElementwise.Instruction? { .binary(.minimum, operands) }
}

// Tracing a fused op from Swift: the closure runs once on symbolic values and records
// the instructions, as jax.jit traces a Python function.

extension FusedElementwise {
    /// A value inside `trace`: an input or an instruction's result.
    public struct Value {
        let recorder: Recorder
        let register: Int

        public static func + (a: Value, b: Value) -> Value { a.binary(.add, b) }
        public static func - (a: Value, b: Value) -> Value { a.binary(.sub, b) }
        public static func * (a: Value, b: Value) -> Value { a.binary(.mul, b) }
        public static func / (a: Value, b: Value) -> Value { a.binary(.div, b) }
        public static prefix func - (a: Value) -> Value { a.unary(.neg) }

        public static func + (a: Value, c: Double) -> Value { a + a.constant(c) }
        public static func - (a: Value, c: Double) -> Value { a - a.constant(c) }
        public static func * (a: Value, c: Double) -> Value { a * a.constant(c) }
        public static func / (a: Value, c: Double) -> Value { a / a.constant(c) }
        public static func + (c: Double, a: Value) -> Value { a.constant(c) + a }
        public static func - (c: Double, a: Value) -> Value { a.constant(c) - a }
        public static func * (c: Double, a: Value) -> Value { a.constant(c) * a }
        public static func / (c: Double, a: Value) -> Value { a.constant(c) / a }

        public func exp() -> Value { unary(.exp) }
        public func log() -> Value { unary(.log) }
        public func sigmoid() -> Value { unary(.sigmoid) }
        public func tanh() -> Value { unary(.tanh) }
        public func relu() -> Value { unary(.relu) }
        public func sqrt() -> Value { unary(.sqrt) }
        public func abs() -> Value { unary(.abs) }
        public func softplus() -> Value { unary(.softplus) }
        public func leakyReLU(negativeSlope: Double = 0.01) -> Value { unary(.leakyReLU(slope: negativeSlope)) }
        /// Any one-input elementwise op (`value.apply(Sin())`).
        public func apply(_ op: some UnaryElementwise) -> Value { unary(op.kernel ?? .formula(.init(op))) }
        public func maximum(_ other: Value) -> Value { binary(.maximum, other) }
        public func minimum(_ other: Value) -> Value { binary(.minimum, other) }

        /// The sum of every element: only as the traced closure's result.
        public func sum() -> Value {
            recorder.sums(register)
            return self
        }

        private func unary(_ kind: Unary) -> Value { recorder.record(.unary(kind, register)) }
        private func binary(_ kind: Binary, _ other: Value) -> Value {
            if other.recorder !== recorder { recorder.markForeign() }
            return recorder.record(.binary(kind, register, other.register))
        }
        private func constant(_ c: Double) -> Value { recorder.record(.constant(c)) }
    }

    /// Records `body`'s instructions over `inputs` symbolic inputs into a fused op whose
    /// output is the returned value (summed if `.sum()` was called on it). `asLoss`: the
    /// summed output is a loss, differentiated with the default seed, so its forward pass
    /// computes the gradients too (`gradientsInForward`).
    ///
    /// Throws if the result is an input (nothing to compute), if `sum()` was called on
    /// anything but the result, or if values from another trace were mixed in.
    public static func trace(
        inputs: Int, asLoss: Bool = false, _ body: ([Value]) -> Value
    ) throws(OpError) -> FusedElementwise {
        guard inputs >= 1 else { throw .shape("a fused op needs at least one input") }
        let recorder = Recorder(inputs: inputs)
        let result = body((0..<inputs).map { Value(recorder: recorder, register: $0) })
        let (instructions, summed, foreign) = recorder.snapshot()
        guard result.recorder === recorder, !foreign else { throw .shape("a value from another trace was used") }
        guard result.register == inputs + instructions.count - 1 else {
            throw .shape("the traced result must be the last value computed (not an input or an earlier value)")
        }
        if let summed, summed != result.register { throw .shape("sum() may only be applied to the result") }
        return try FusedElementwise(
            inputCount: inputs, instructions: instructions, sumsOutput: summed != nil, gradientsInForward: asLoss)
    }

    /// The instructions a trace records, shared by its values.
    final class Recorder {
        private let inputs: Int
        private var instructions: [Instruction] = []
        private var summed: Int?
        private var foreign = false

        init(inputs: Int) { self.inputs = inputs }

        func record(_ instruction: Instruction) -> Value {
            instructions.append(instruction)
            return Value(recorder: self, register: inputs + instructions.count - 1)
        }

        func sums(_ register: Int) {
            if summed != nil && summed != register { foreign = true }
            summed = register
        }

        func markForeign() { foreign = true }

        func snapshot() -> ([Instruction], Int?, Bool) { (instructions, summed, foreign) }
    }
}

// Eager elementwise ops on large arrays run as one-instruction fused ops, so that they
// too are split over the thread budget (an op's own closure loop stays on one thread:
// handed to Dispatch, its element closure would no longer inline). Same formulas, same
// bits: only the scheduling differs.

extension FusedElementwise {
    /// `instruction` (over registers 0 and 1: the inputs) applied to `x` as a fused op, when
    /// the arrays are large enough to split and the thread budget has more than one
    /// thread; nil otherwise, and for inputs a fused op does not take (a partial broadcast).
    @inline(__always)
    static func large<T: Scalar>(_ instruction: Instruction, _ x: [NDArray<T>]) -> NDArray<T>? {
        guard let op = splittable(instruction, x) else { return nil }
        return op.forward(x)
    }

    /// The vector-Jacobian product of `instruction` as a fused op, under the conditions of
    /// `large`; gradients come back in the element shape, as an op's may.
    @inline(__always)
    static func largeGradient<T: Scalar>(
        _ instruction: Instruction, _ grad: NDArray<T>, _ x: [NDArray<T>], needs: [Bool]
    ) -> [NDArray<T>?]? {
        guard let op = splittable(instruction, x) else { return nil }
        return op.vjp(grad, inputs: x, output: grad, needs: needs)
    }

    private static func splittable<T: Scalar>(_ instruction: Instruction, _ x: [NDArray<T>]) -> FusedElementwise? {
        guard ThreadBudget.threadsPerComputation > 1, x.contains(where: { $0.count >= Parallel.minimumElements }),
              let op = try? FusedElementwise(inputCount: x.count, instructions: [instruction]),
              (try? op.elementShape(x.map(\.shape))) != nil
        else { return nil }
        return op
    }
}

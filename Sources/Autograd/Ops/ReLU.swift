/// Rectified linear unit `max(x, 0)` elementwise; NaN stays NaN.
public struct ReLUOp: UnaryElementwise {
    public static let signature = OpSignature(
        name: "relu", arity: .exactly(1), inputs: ["x"], summary: "max(x, 0) elementwise",
        pytorch: "torch.relu(x)", shapeRule: OpSignature.sameShape, notes: "gradient 0 at 0")

    /// The op; it has no attributes.
    public init() {}
    public init(attributes: Attributes) {}

    public func value<T: Scalar>(_ x: T) -> T { x < 0 ? 0 : x }
    // g where the output is positive; the subgradient at 0 is 0, as torch's threshold_backward.
    public func derivative<T: Scalar>(_ g: T, x: T, y: T) -> T { y <= 0 ? 0 : g }
    public var kernel: FusedElementwise.Unary? { .relu }

    // One pass of the vector kernel over the computation's threads: a fused op built for
    // one instruction (the default for large arrays) took 14–20 µs at [128, 512], about
    // four times as long. The same values: relu is exact.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func forward<T: Scalar>(_ x: [NDArray<T>]) -> NDArray<T> {
        let n = x[0].count
        return x[0].data.withUnsafeBufferPointer { src in
            NDArray(shape: x[0].shape) { dst in
                guard n > 0, let s = src.baseAddress, let d = dst.baseAddress else { return }
                let p = UncheckedSendable((s, d))
                Parallel.forEachRange(n) { start, end in
                    let (s, d) = p.value
                    CPUKernels.unary(CPUKernels.relu, s + start, d + start, end - start) { $0 < 0 ? 0 : $0 }
                }
            }
        }
    }

    // torch's threshold_backward: one pass over the gradient and the output on the
    // computation's threads (`ReLUBackward`), rather than the fused kernel's general
    // evaluation of `derivative`, which took twice as long.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func vjp<T: Scalar>(
        _ grad: NDArray<T>, inputs x: [NDArray<T>], output: NDArray<T>, needs: [Bool]
    ) -> [NDArray<T>?] {
        [needs[0] ? ReLUBackward().forward([grad, output]) : nil]
    }
}

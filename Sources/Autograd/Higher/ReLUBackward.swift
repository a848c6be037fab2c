/// ReLU's gradient: `grad` where `output` is positive (or NaN), 0 elsewhere, as torch's
/// `threshold_backward(grad, output, 0)`. Not a wire op: `relu`'s differentiable
/// vector-Jacobian product is written in it, one pass over two arrays where a 0/1 mask
/// and a `where` over it took two passes and an extra array (W8's Hessian-vector product
/// makes four of them).
///
/// It is linear in `grad`, so its own gradient with respect to `grad` is itself with the
/// same `output`; `output` gets none, the selection being constant wherever it has a
/// derivative (torch's `threshold_backward` formula in derivatives.yaml).
struct ReLUBackward: DifferentiableOperator, Equatable {
    static let signature = OpSignature(
        name: "relu_backward", arity: .exactly(2), inputs: ["grad", "output"],
        summary: "grad where output > 0 (or NaN), else 0; grad and output of one shape",
        pytorch: "torch.ops.aten.threshold_backward(grad, output, 0)")

    init() {}
    init(attributes: Attributes) {}

    func outputShape(_ inputs: [[Int]]) throws(OpError) -> [Int] {
        guard inputs[0] == inputs[1] else {
            throw .shape("relu_backward: grad \(Shape.describe(inputs[0])) and output \(Shape.describe(inputs[1])) differ")
        }
        return inputs[0]
    }

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    func forward<T: Scalar>(_ x: [NDArray<T>]) -> NDArray<T> {
        let n = x[0].count
        let out = x[0].data.withUnsafeBufferPointer { g in
            x[1].data.withUnsafeBufferPointer { y in
                [T](unsafeUninitializedCapacity: n) { o, initialized in
                    if let gp = g.baseAddress, let yp = y.baseAddress, let op = o.baseAddress {
                        let p = UncheckedSendable((gp, yp, op))
                        Parallel.forEachRange(n) { start, end in
                            let (g, y, o) = p.value
                            // A vector blend (CPUKernels); the test is `relu`'s first-order
                            // one (false at NaN).
                            CPUKernels.binary(CPUKernels.reluGradient, g + start, y + start, o + start, end - start) {
                                g, y in y <= 0 ? 0 : g
                            }
                        }
                    }
                    initialized = n
                }
            }
        }
        return NDArray(shape: x[0].shape, data: out)
    }

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    func vjp<T: Scalar>(
        _ grad: NDArray<T>, inputs x: [NDArray<T>], output: NDArray<T>, needs: [Bool]
    ) -> [NDArray<T>?] {
        [needs[0] ? forward([grad, x[1]]) : nil, nil]
    }

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    func differentiableVJP<T: Scalar>(
        _ grad: Tensor<T>, inputs x: [Tensor<T>], output: Tensor<T>, needs: [Bool]
    ) throws(OpError) -> [Tensor<T>?] {
        [needs[0] ? try Tensor.apply(self, [grad, x[1]]) : nil, nil]
    }
}

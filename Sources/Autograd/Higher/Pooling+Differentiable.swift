// Derivatives of every order for max_pool2d, avg_pool2d and adaptive_avg_pool2d (issue 12).
//
// The average poolings are linear: their gradient is a linear map of the upstream gradient
// (a helper op), whose own gradient is the pooling again. Max pooling routes each output's
// gradient to its window's argmax; with the argmaxes held fixed that is linear in the
// upstream gradient, and its derivative with respect to x is zero almost everywhere (as
// torch's max_pool2d_with_indices_backward), so x enters the helper as a constant and the
// pair scatter / gather closes under differentiation.

/// A pooling that is linear in its input (avg_pool2d, adaptive_avg_pool2d): its gradient
/// is `inputGradient`, a linear map of the upstream gradient, whose own gradient is the
/// pooling again.
protocol LinearPooling: DifferentiableOperator {
    /// The input's gradient for the upstream gradient `grad` (nil: zeros).
    func inputGradient<T: Scalar>(_ grad: NDArray<T>, inputShape: [Int]) -> NDArray<T>?
}

extension LinearPooling {
    /// The upstream gradient spread over each output's window, as a recorded op whose own
    /// gradient is the pooling again (linear: the same at every order).
    public func differentiableVJP<T: Scalar>(
        _ grad: Tensor<T>, inputs x: [Tensor<T>], output: Tensor<T>, needs: [Bool]
    ) throws(OpError) -> [Tensor<T>?] {
        [needs[0] ? try Tensor.apply(LinearPoolingBackward(pool: self, inputShape: x[0].shape), [grad]) : nil]
    }
}

extension AvgPool2dOp: LinearPooling {}
extension AdaptiveAvgPool2dOp: LinearPooling {}

/// A linear pooling's vector-Jacobian product as an op of the upstream gradient
/// (`avg_pool2d_backward`, `adaptive_avg_pool2d_backward`): each output's gradient spread
/// over its window. Linear; its gradient is the pooling. Not a wire op.
struct LinearPoolingBackward<Pool: LinearPooling>: DifferentiableOperator {
    static var signature: OpSignature {
        OpSignature(
            name: Pool.signature.name + "_backward", arity: .exactly(1), inputs: ["gy"],
            summary: "\(Pool.signature.name)'s gradient for an upstream gradient gy (a backward-pass helper)")
    }

    let pool: Pool
    let inputShape: [Int]

    init(pool: Pool, inputShape: [Int]) {
        self.pool = pool
        self.inputShape = inputShape
    }

    init(attributes: Attributes) throws(OpError) {
        throw .attribute(name: "pool", detail: "\(Self.signature.name) is built by the backward pass, not from attributes")
    }

    func outputShape(_ inputs: [[Int]]) throws(OpError) -> [Int] {
        try checkPooled(Self.signature.name, inputs[0], expected: pool.outputShape([inputShape]))
        return inputShape
    }

    func forward<T: Scalar>(_ x: [NDArray<T>]) -> NDArray<T> {
        pool.inputGradient(x[0], inputShape: inputShape) ?? NDArray(repeating: 0, shape: inputShape)
    }

    func vjp<T: Scalar>(
        _ grad: NDArray<T>, inputs x: [NDArray<T>], output: NDArray<T>, needs: [Bool]
    ) -> [NDArray<T>?] {
        [needs[0] ? pool.forward([grad]) : nil]
    }

    func differentiableVJP<T: Scalar>(
        _ grad: Tensor<T>, inputs x: [Tensor<T>], output: Tensor<T>, needs: [Bool]
    ) throws(OpError) -> [Tensor<T>?] {
        [needs[0] ? try Tensor.apply(pool, [grad]) : nil]
    }
}

extension MaxPool2dOp: DifferentiableOperator {
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func differentiableVJP<T: Scalar>(
        _ grad: Tensor<T>, inputs x: [Tensor<T>], output: Tensor<T>, needs: [Bool]
    ) throws(OpError) -> [Tensor<T>?] {
        [needs[0] ? try Tensor.apply(MaxPool2dBackward(pool: self), [grad, x[0]]) : nil]
    }
}

/// max_pool2d's vector-Jacobian product as an op: gy (the pooled shape) scattered to the
/// argmax of each window of x (the first maximum, row-major, as the first-order backward).
/// Linear in gy; x only chooses the positions, so it gets no gradient. Its gradient with
/// respect to gy is ``MaxPool2dGather``. Not a wire op.
public struct MaxPool2dBackward: DifferentiableOperator {
    public static let signature = OpSignature(
        name: "max_pool2d_backward", arity: .exactly(2), inputs: ["gy", "x"],
        summary: "max_pool2d's gradient: gy scattered to the argmax of each window of x (a backward-pass helper)")

    let pool: MaxPool2dOp

    init(pool: MaxPool2dOp) { self.pool = pool }

    public init(attributes: Attributes) throws(OpError) {
        throw .attribute(name: "pool", detail: "\(Self.signature.name) is built by the backward pass, not from attributes")
    }

    public func outputShape(_ inputs: [[Int]]) throws(OpError) -> [Int] {
        try checkPooled(Self.signature.name, inputs[0], expected: pool.outputShape([inputs[1]]))
        return inputs[1]
    }

    // The first-order backward with no saved argmaxes finds them again from x.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func forward<T: Scalar>(_ x: [NDArray<T>]) -> NDArray<T> {
        pool.vjp(x[0], inputs: [x[1]], output: x[0], needs: [true])[0] ?? NDArray(repeating: 0, shape: x[1].shape)
    }

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func vjp<T: Scalar>(
        _ grad: NDArray<T>, inputs x: [NDArray<T>], output: NDArray<T>, needs: [Bool]
    ) -> [NDArray<T>?] {
        [needs[0] ? pool.gather(grad, at: x[1]) : nil, nil]
    }

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func differentiableVJP<T: Scalar>(
        _ grad: Tensor<T>, inputs x: [Tensor<T>], output: Tensor<T>, needs: [Bool]
    ) throws(OpError) -> [Tensor<T>?] {
        [needs[0] ? try Tensor.apply(MaxPool2dGather(pool: pool), [grad, x[1]]) : nil, nil]
    }
}

/// The value of `a` (x's shape) at the argmax of each max_pool2d window of x, in the pooled
/// shape (0 for a window that meets no element): ``MaxPool2dBackward``'s adjoint. Linear in
/// a; x gets no gradient. Not a wire op.
public struct MaxPool2dGather: DifferentiableOperator {
    public static let signature = OpSignature(
        name: "max_pool2d_gather", arity: .exactly(2), inputs: ["a", "x"],
        summary: "a read at the argmax of each max_pool2d window of x (a backward-pass helper)")

    let pool: MaxPool2dOp

    init(pool: MaxPool2dOp) { self.pool = pool }

    public init(attributes: Attributes) throws(OpError) {
        throw .attribute(name: "pool", detail: "\(Self.signature.name) is built by the backward pass, not from attributes")
    }

    public func outputShape(_ inputs: [[Int]]) throws(OpError) -> [Int] {
        guard inputs[0] == inputs[1] else {
            throw .shape("\(Self.signature.name): a \(Shape.describe(inputs[0])) and x \(Shape.describe(inputs[1])) differ in shape")
        }
        return try pool.outputShape([inputs[1]])
    }

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func forward<T: Scalar>(_ x: [NDArray<T>]) -> NDArray<T> {
        pool.gather(x[0], at: x[1])
    }

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func vjp<T: Scalar>(
        _ grad: NDArray<T>, inputs x: [NDArray<T>], output: NDArray<T>, needs: [Bool]
    ) -> [NDArray<T>?] {
        [needs[0] ? MaxPool2dBackward(pool: pool).forward([grad, x[1]]) : nil, nil]
    }

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func differentiableVJP<T: Scalar>(
        _ grad: Tensor<T>, inputs x: [Tensor<T>], output: Tensor<T>, needs: [Bool]
    ) throws(OpError) -> [Tensor<T>?] {
        [needs[0] ? try Tensor.apply(MaxPool2dBackward(pool: pool), [grad, x[1]]) : nil, nil]
    }
}

/// Throws unless the upstream gradient `got` has the pooled shape `expected`.
private func checkPooled(_ name: String, _ got: [Int], expected: [Int]) throws(OpError) {
    guard got == expected else {
        throw .shape("\(name): the gradient \(Shape.describe(got)) does not have the pooled shape \(Shape.describe(expected))")
    }
}

extension MaxPool2dOp {
    /// `a` read at each window's argmax in x (the rule of the forward pass and of `vjp`:
    /// the first maximum, row-major, a NaN winning), in the pooled shape.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    func gather<T: Scalar>(_ a: NDArray<T>, at x: NDArray<T>) -> NDArray<T> {
        guard let g = try? pooling.geometry(x.shape, name: ""), let shape = try? outputShape([x.shape]) else {
            return NDArray(repeating: 0, shape: a.shape)
        }
        let w = Windows(pooling, g)
        var y = [T](repeating: 0, count: g.planes * g.outArea)
        x.data.withUnsafeBufferPointer { xs in
            a.data.withUnsafeBufferPointer { as_ in
                y.withUnsafeMutableBufferPointer { ys in
                    guard let xp = xs.baseAddress, let ap = as_.baseAddress, let yp = ys.baseAddress else { return }
                    let src = UncheckedSendable(xp), values = UncheckedSendable(ap), dst = UncheckedSendable(yp)
                    Parallel.forEachItem(g.planes, parallelFrom: 8) { p in
                        let plane = src.value + p * g.inArea, from = values.value + p * g.inArea
                        let out = dst.value + p * g.outArea
                        for oh in 0..<g.outH {
                            let rows = w.rows(oh)
                            for ow in 0..<g.outW {
                                let i = w.argmax(plane, rows, ow)
                                if i >= 0 { out[oh * g.outW + ow] = from[i] }
                            }
                        }
                    }
                }
            }
        }
        return NDArray(shape: shape, data: y)
    }
}

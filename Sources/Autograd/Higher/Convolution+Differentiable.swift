// Derivatives of every order for conv1d, conv2d and conv_transpose2d (issue 12).
//
// A convolution of one geometry (`ConvGeometry`) is a bilinear map y = F(a, w), and its
// two adjoints are bilinear too: the input gradient I and the weight gradient W, defined
// by ⟨c, F(a, w)⟩ = ⟨I(c, w), a⟩ = ⟨W(a, c), w⟩. Each one's vector-Jacobian product is
// made of the three, so the helper ops below are closed under differentiation:
//   F(a, w), upstream c:  da = I(c, w),  dw = W(a, c)
//   I(b, w), upstream c:  db = F(c, w),  dw = W(c, b)
//   W(a, b), upstream c:  da = I(b, c),  db = F(a, c)
// conv1d and conv2d are F (+ bias); conv_transpose2d is I (+ bias) for the geometry whose
// input is its output. Every helper runs the first-order kernels (im2col + BLAS gemm).

extension Convolution {
    // dx = I(gy, w), dW = W(x, gy), db = gy summed over all but the channel axis.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    func differentiableVJP<T: Scalar>(
        _ grad: Tensor<T>, inputs x: [Tensor<T>], needs: [Bool], name: String
    ) throws(OpError) -> [Tensor<T>?] {
        let g = try geometry(x.map(\.shape), name: name)
        var result: [Tensor<T>?] = [
            needs[0] ? try Tensor.apply(ConvInputGrad(g, shape: x[0].shape), [grad, x[1]]) : nil,
            needs[1] ? try Tensor.apply(ConvWeightGrad(g, shape: x[1].shape), [x[0], grad]) : nil,
        ]
        if x.count == 3 { result.append(needs[2] ? try convBiasGradient(grad, dims: dims) : nil) }
        return result
    }
}

/// The bias gradient of a convolution whose output `grad` has `dims` spatial axes after
/// its channel axis (and a batch axis before it, or none when unbatched).
func convBiasGradient<T: Scalar>(_ grad: Tensor<T>, dims: Int) throws(OpError) -> Tensor<T> {
    let channelAxis = grad.shape.count - dims - 1
    let axes = grad.shape.indices.filter { $0 != channelAxis }
    return try Tensor.apply(Sum(axes: axes, keepdims: false), [grad])
}

extension Conv1dOp: DifferentiableOperator {
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func differentiableVJP<T: Scalar>(
        _ grad: Tensor<T>, inputs: [Tensor<T>], output: Tensor<T>, needs: [Bool]
    ) throws(OpError) -> [Tensor<T>?] {
        try conv.differentiableVJP(grad, inputs: inputs, needs: needs, name: Self.signature.name)
    }
}

extension Conv2dOp: DifferentiableOperator {
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func differentiableVJP<T: Scalar>(
        _ grad: Tensor<T>, inputs: [Tensor<T>], output: Tensor<T>, needs: [Bool]
    ) throws(OpError) -> [Tensor<T>?] {
        try conv.differentiableVJP(grad, inputs: inputs, needs: needs, name: Self.signature.name)
    }
}

extension ConvTranspose2dOp: DifferentiableOperator {
    // y = I(x, w) for the conv2d geometry from y to x: dx = F(gy, w), dW = W(gy, x),
    // db = gy summed over all but the channel axis.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func differentiableVJP<T: Scalar>(
        _ grad: Tensor<T>, inputs x: [Tensor<T>], output: Tensor<T>, needs: [Bool]
    ) throws(OpError) -> [Tensor<T>?] {
        let g = try geometry(x.map(\.shape))
        var result: [Tensor<T>?] = [
            needs[0] ? try Tensor.apply(ConvForward(g, shape: x[0].shape), [grad, x[1]]) : nil,
            needs[1] ? try Tensor.apply(ConvWeightGrad(g, shape: x[1].shape), [grad, x[0]]) : nil,
        ]
        if x.count == 3 { result.append(needs[2] ? try convBiasGradient(grad, dims: 2) : nil) }
        return result
    }
}

/// The result's shape for a helper op whose inputs must hold `counts` elements, or why not.
private func helperShape(_ name: String, _ inputs: [[Int]], counts: (Int, Int), shape: [Int]) throws(OpError) -> [Int] {
    guard Shape.count(inputs[0]) == counts.0 && Shape.count(inputs[1]) == counts.1 else {
        throw .shape("\(name): inputs \(Shape.describe(inputs[0])) and \(Shape.describe(inputs[1])) do not fit the convolution")
    }
    return shape
}

/// The helpers are built by the backward pass from a resolved geometry, never from attributes.
private func notFromAttributes(_ name: String) -> OpError {
    .attribute(name: "geometry", detail: "\(name) is built by the backward pass, not from attributes")
}

extension ConvGeometry {
    var inputCount: Int { batch * inChannels * inArea }
    var outputCount: Int { batch * outChannels * outArea }
    var weightCount: Int { outChannels * groupRows }
}

/// F(a, w): the convolution of a (the geometry's input) with w, without bias. Not a wire
/// op: conv_transpose2d's input gradient, and a term of the helpers' own gradients.
public struct ConvForward: DifferentiableOperator, Equatable {
    public static let signature = OpSignature(
        name: "conv_forward", arity: .exactly(2), inputs: ["x", "weight"],
        summary: "the convolution of x with weight for a fixed geometry (a backward-pass helper)")

    let geometry: ConvGeometry
    let shape: [Int]

    public init(attributes: Attributes) throws(OpError) { throw notFromAttributes(Self.signature.name) }

    public func outputShape(_ inputs: [[Int]]) throws(OpError) -> [Int] {
        try helperShape(Self.signature.name, inputs, counts: (geometry.inputCount, geometry.weightCount), shape: shape)
    }

    init(_ geometry: ConvGeometry, shape: [Int]) {
        self.geometry = geometry
        self.shape = shape
    }

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func forward<T: Scalar>(_ x: [NDArray<T>]) -> NDArray<T> {
        NDArray(shape: shape, data: ConvKernels.forward(x[0].data, x[1].data, geometry))
    }

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func vjp<T: Scalar>(
        _ grad: NDArray<T>, inputs x: [NDArray<T>], output: NDArray<T>, needs: [Bool]
    ) -> [NDArray<T>?] {
        [needs[0] ? ConvKernels.inputGradient(grad, x[1], geometry, shape: x[0].shape) : nil,
         needs[1] ? ConvKernels.weightGradient(x[0], grad, geometry, shape: x[1].shape) : nil]
    }

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func differentiableVJP<T: Scalar>(
        _ grad: Tensor<T>, inputs x: [Tensor<T>], output: Tensor<T>, needs: [Bool]
    ) throws(OpError) -> [Tensor<T>?] {
        [needs[0] ? try Tensor.apply(ConvInputGrad(geometry, shape: x[0].shape), [grad, x[1]]) : nil,
         needs[1] ? try Tensor.apply(ConvWeightGrad(geometry, shape: x[1].shape), [x[0], grad]) : nil]
    }
}

/// I(b, w): the gradient of a convolution with respect to its input, for an upstream
/// gradient b (the geometry's output) and weight w. Not a wire op: conv1d's and conv2d's
/// input gradient, conv_transpose2d's forward.
public struct ConvInputGrad: DifferentiableOperator, Equatable {
    public static let signature = OpSignature(
        name: "conv_input_grad", arity: .exactly(2), inputs: ["gy", "weight"],
        summary: "the input gradient of a convolution for a fixed geometry (a backward-pass helper)")

    let geometry: ConvGeometry
    let shape: [Int]

    public init(attributes: Attributes) throws(OpError) { throw notFromAttributes(Self.signature.name) }

    public func outputShape(_ inputs: [[Int]]) throws(OpError) -> [Int] {
        try helperShape(Self.signature.name, inputs, counts: (geometry.outputCount, geometry.weightCount), shape: shape)
    }

    init(_ geometry: ConvGeometry, shape: [Int]) {
        self.geometry = geometry
        self.shape = shape
    }

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func forward<T: Scalar>(_ x: [NDArray<T>]) -> NDArray<T> {
        ConvKernels.inputGradient(x[0], x[1], geometry, shape: shape)
    }

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func vjp<T: Scalar>(
        _ grad: NDArray<T>, inputs x: [NDArray<T>], output: NDArray<T>, needs: [Bool]
    ) -> [NDArray<T>?] {
        [needs[0] ? NDArray(shape: x[0].shape, data: ConvKernels.forward(grad.data, x[1].data, geometry)) : nil,
         needs[1] ? ConvKernels.weightGradient(grad, x[0], geometry, shape: x[1].shape) : nil]
    }

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func differentiableVJP<T: Scalar>(
        _ grad: Tensor<T>, inputs x: [Tensor<T>], output: Tensor<T>, needs: [Bool]
    ) throws(OpError) -> [Tensor<T>?] {
        [needs[0] ? try Tensor.apply(ConvForward(geometry, shape: x[0].shape), [grad, x[1]]) : nil,
         needs[1] ? try Tensor.apply(ConvWeightGrad(geometry, shape: x[1].shape), [grad, x[0]]) : nil]
    }
}

/// W(a, b): the gradient of a convolution with respect to its weight, for input a and
/// upstream gradient b. Not a wire op: the weight gradient of conv1d, conv2d and
/// conv_transpose2d.
public struct ConvWeightGrad: DifferentiableOperator, Equatable {
    public static let signature = OpSignature(
        name: "conv_weight_grad", arity: .exactly(2), inputs: ["x", "gy"],
        summary: "the weight gradient of a convolution for a fixed geometry (a backward-pass helper)")

    let geometry: ConvGeometry
    let shape: [Int]

    public init(attributes: Attributes) throws(OpError) { throw notFromAttributes(Self.signature.name) }

    public func outputShape(_ inputs: [[Int]]) throws(OpError) -> [Int] {
        try helperShape(Self.signature.name, inputs, counts: (geometry.inputCount, geometry.outputCount), shape: shape)
    }

    init(_ geometry: ConvGeometry, shape: [Int]) {
        self.geometry = geometry
        self.shape = shape
    }

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func forward<T: Scalar>(_ x: [NDArray<T>]) -> NDArray<T> {
        ConvKernels.weightGradient(x[0], x[1], geometry, shape: shape)
    }

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func vjp<T: Scalar>(
        _ grad: NDArray<T>, inputs x: [NDArray<T>], output: NDArray<T>, needs: [Bool]
    ) -> [NDArray<T>?] {
        [needs[0] ? ConvKernels.inputGradient(x[1], grad, geometry, shape: x[0].shape) : nil,
         needs[1] ? NDArray(shape: x[1].shape, data: ConvKernels.forward(x[0].data, grad.data, geometry)) : nil]
    }

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func differentiableVJP<T: Scalar>(
        _ grad: Tensor<T>, inputs x: [Tensor<T>], output: Tensor<T>, needs: [Bool]
    ) throws(OpError) -> [Tensor<T>?] {
        [needs[0] ? try Tensor.apply(ConvInputGrad(geometry, shape: x[0].shape), [x[1], grad]) : nil,
         needs[1] ? try Tensor.apply(ConvForward(geometry, shape: x[1].shape), [x[0], grad]) : nil]
    }
}

extension ConvKernels {
    /// I(gy, w) as an array of `shape`.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    static func inputGradient<T: Scalar>(_ gy: NDArray<T>, _ w: NDArray<T>, _ g: ConvGeometry, shape: [Int]) -> NDArray<T> {
        NDArray(shape: shape, data: inputGradient(gy.data, w.data, g))
    }

    /// W(x, gy) as an array of `shape`.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    static func weightGradient<T: Scalar>(_ x: NDArray<T>, _ gy: NDArray<T>, _ g: ConvGeometry, shape: [Int]) -> NDArray<T> {
        NDArray(shape: shape, data: weightGradient(x.data, gy.data, g))
    }
}

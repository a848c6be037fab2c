import Autograd

// Deliberately wrong custom ops, as a user might write them: the engine must turn each
// into a thrown error before anything reads or writes past a buffer. Shared by
// `CustomOpSafetyTests` (symlinked there) and the `autograd-safety-check` executable that
// `make test-asan` runs under the address sanitizer.

/// Identity forward; its vjp returns 7 elements for a 3-element input (issue 22's swish).
struct WrongGradientShape: Operator {
    static let signature = OpSignature(name: "wrong_gradient_shape", arity: .exactly(1), inputs: ["x"], summary: "bad vjp")
    init() {}
    init(attributes: Attributes) {}
    func outputShape(_ inputs: [[Int]]) throws(OpError) -> [Int] { inputs[0] }
    func forward<T: Scalar>(_ inputs: [NDArray<T>]) -> NDArray<T> { inputs[0] }
    func vjp<T: Scalar>(_ grad: NDArray<T>, inputs: [NDArray<T>], output: NDArray<T>, needs: [Bool]) -> [NDArray<T>?] {
        [NDArray(repeating: 1, shape: [7])]
    }
}

/// Its vjp returns an array whose shape is right but which holds 7 elements.
struct WrongGradientCount: Operator {
    static let signature = OpSignature(name: "wrong_gradient_count", arity: .exactly(1), inputs: ["x"], summary: "bad vjp")
    init() {}
    init(attributes: Attributes) {}
    func outputShape(_ inputs: [[Int]]) throws(OpError) -> [Int] { inputs[0] }
    func forward<T: Scalar>(_ inputs: [NDArray<T>]) -> NDArray<T> { inputs[0] }
    func vjp<T: Scalar>(_ grad: NDArray<T>, inputs: [NDArray<T>], output: NDArray<T>, needs: [Bool]) -> [NDArray<T>?] {
        var g = grad
        g.data = [T](repeating: 1, count: 7)
        return [g]
    }
}

/// A two-input op whose vjp returns one gradient.
struct TooFewGradients: Operator {
    static let signature = OpSignature(name: "too_few_gradients", arity: .exactly(2), inputs: ["a", "b"], summary: "bad vjp")
    init() {}
    init(attributes: Attributes) {}
    func outputShape(_ inputs: [[Int]]) throws(OpError) -> [Int] { inputs[0] }
    func forward<T: Scalar>(_ inputs: [NDArray<T>]) -> NDArray<T> { inputs[0] }
    func vjp<T: Scalar>(_ grad: NDArray<T>, inputs: [NDArray<T>], output: NDArray<T>, needs: [Bool]) -> [NDArray<T>?] {
        [grad]
    }
}

/// Its shape rule says the input's shape; its forward returns 7 elements.
struct WrongOutputShape: Operator {
    static let signature = OpSignature(name: "wrong_output_shape", arity: .exactly(1), inputs: ["x"], summary: "bad forward")
    init() {}
    init(attributes: Attributes) {}
    func outputShape(_ inputs: [[Int]]) throws(OpError) -> [Int] { inputs[0] }
    func forward<T: Scalar>(_ inputs: [NDArray<T>]) -> NDArray<T> { NDArray(repeating: 1, shape: [7]) }
    func vjp<T: Scalar>(_ grad: NDArray<T>, inputs: [NDArray<T>], output: NDArray<T>, needs: [Bool]) -> [NDArray<T>?] {
        [grad]
    }
}

/// Each wrong op run forward and backward on a `[3]` input, with the message it must
/// throw: (what, message, or nil if it did throw that message).
func wrongOpOutcomes() -> [(case: String, expected: String, got: String)] {
    func backwardMessage(_ op: some Operator, inputs: Int = 1) -> String {
        let xs = (0..<inputs).map { _ in Tensor<Float>(NDArray([1, 2, 3]), requiresGrad: true) }
        do {
            let y = try Tensor.apply(op, xs)
            try y.sum().backward()
            return "no error; grad \(String(describing: xs[0].grad))"
        } catch { return "\(error)" }
    }
    func forwardMessage(_ op: some Operator) -> String {
        do {
            let y = try Tensor.apply(op, [Tensor<Float>(NDArray([1, 2, 3]), requiresGrad: true)])
            return "no error; output \(y.value)"
        } catch { return "\(error)" }
    }
    return [
        ("vjp of the wrong shape", "Function WrongGradientShapeBackward returned an invalid gradient at index 0 - got [7] but expected shape compatible with [3]",
         backwardMessage(WrongGradientShape())),
        ("vjp holding the wrong count", "Function WrongGradientCountBackward returned an invalid gradient at index 0 - got [3] but expected shape compatible with [3]",
         backwardMessage(WrongGradientCount())),
        ("vjp returning too few gradients", "function TooFewGradientsBackward returned an incorrect number of gradients (expected 2, got 1)",
         backwardMessage(TooFewGradients(), inputs: 2)),
        ("forward of the wrong shape", "Function WrongOutputShape returned an invalid output - got [7] but its shape rule gives [3]",
         forwardMessage(WrongOutputShape())),
    ]
}

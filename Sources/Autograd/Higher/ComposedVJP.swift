// The differentiable vector-Jacobian product of a composite op (a normalisation, attention,
// cosine similarity) by way of its decomposition: the op's forward is written again as
// recorded primitive ops on stand-ins for its inputs, and a reverse pass over that small
// graph alone, calling each primitive's `differentiableVJP`, gives the input gradients as
// recorded tensors. Every order of derivative then follows from the primitives'. The
// first-order path keeps the op's hand kernel; this runs only when a higher derivative is
// asked for.

/// The gradients of `f(inputs)` contracted with `grad`, with respect to each input whose
/// `needs` is true, as recorded tensors that can be differentiated again; nil for the
/// others and for an input `f` does not depend on.
///
/// `f` must build its result from the tensors it is given with recorded ops that are
/// ``DifferentiableOperator``s. Each input needing a gradient reaches `f` as a stand-in of
/// its own (an identity reshape), so the reverse pass stops there rather than walking the
/// history before the op, and an input passed twice (`mse_loss(x, x)`) gets its two
/// gradients separately. Inputs needing none reach `f` as detached constants.
func composedVJP<T: Scalar>(
    _ grad: Tensor<T>, inputs: [Tensor<T>], needs: [Bool],
    _ f: ([Tensor<T>]) throws(OpError) -> Tensor<T>
) throws(OpError) -> [Tensor<T>?] {
    guard needs.contains(true) else { return needs.map { _ in nil } }
    guard GradMode.isRecording else {
        // Inside `noGrad` the decomposition must still be recorded to be differentiated;
        // what it gives is then detached, as every tensor made there is.
        do {
            return try GradMode.$disabled.withValue(false) {
                try composedVJP(grad, inputs: inputs, needs: needs, f)
            }.map { $0?.detach() }
        } catch let error as OpError {
            throw error
        } catch {
            throw .shape("\(error)")
        }
    }
    var standIns: [Tensor<T>] = []
    var boundary: [ObjectIdentifier: Int] = [:]
    for (i, x) in inputs.enumerated() {
        if needs[i] {
            let s = try Tensor.apply(Reshape(shape: x.shape), [x.requiresGrad ? x : Tensor(x.value, requiresGrad: true)])
            boundary[ObjectIdentifier(s)] = i
            standIns.append(s)
        } else {
            standIns.append(x.detach())
        }
    }
    let y = try f(standIns)
    return try localGradients(of: y, seed: grad, boundary: boundary, count: inputs.count)
}

/// The reverse pass of `composedVJP`: from `y` (seeded with `seed`) down to the tensors of
/// `boundary` (each one's index in the result), never past them.
private func localGradients<T: Scalar>(
    of y: Tensor<T>, seed: Tensor<T>, boundary: [ObjectIdentifier: Int], count: Int
) throws(OpError) -> [Tensor<T>?] {
    var result = [Tensor<T>?](repeating: nil, count: count)
    func add(_ a: Tensor<T>?, _ b: Tensor<T>) throws(OpError) -> Tensor<T> {
        guard let a else { return b }
        return try Tensor.apply(Add(), [a, b])
    }
    guard y.requiresGrad && y.isRecorded else { return result }
    if let i = boundary[ObjectIdentifier(y)] {
        result[i] = seed
        return result
    }

    // Post-order over the nodes between `y` and the boundary, iteratively.
    var slot: [ObjectIdentifier: Int] = [ObjectIdentifier(y): -1]
    var order: [Tensor<T>] = []
    var stack: [(Tensor<T>, Int)] = [(y, 0)]
    while let (node, next) = stack.last {
        let expand = boundary[ObjectIdentifier(node)] == nil
        if expand && next < node.inputs.count {
            stack[stack.count - 1].1 = next + 1
            let input = node.inputs[next]
            if input.isRecorded && input.requiresGrad && slot[ObjectIdentifier(input)] == nil {
                slot[ObjectIdentifier(input)] = -1
                stack.append((input, 0))
            }
        } else {
            stack.removeLast()
            slot[ObjectIdentifier(node)] = order.count
            order.append(node)
        }
    }

    var grads = [Tensor<T>?](repeating: nil, count: order.count)
    grads[order.count - 1] = seed
    var s = order.count
    while s > 0 {
        s -= 1
        guard let g = grads[s] else { continue }
        grads[s] = nil
        let node = order[s]
        if let i = boundary[ObjectIdentifier(node)] {
            result[i] = g
            continue
        }
        guard let op = node.op else { continue }
        guard let dop = op as? any DifferentiableOperator else {
            throw .shape("\(type(of: op).signature.name) has no differentiable vector-Jacobian product")
        }
        let inputs = node.inputs
        let needs = inputs.map { $0.requiresGrad && $0.isRecorded && slot[ObjectIdentifier($0)] != nil }
        let inputGrads = try dop.differentiableVJP(g, inputs: inputs, output: node, needs: needs)
        for i in 0..<min(inputs.count, inputGrads.count) where needs[i] {
            guard var gi = inputGrads[i] else { continue }
            let input = inputs[i]
            if gi.shape != input.shape { gi = try Tensor.apply(SumTo(shape: input.shape), [gi]) }
            guard let t = slot[ObjectIdentifier(input)], t >= 0 else { continue }
            grads[t] = try add(grads[t], gi)
        }
    }
    return result
}

/// Short names for the recorded ops the differentiable vector-Jacobian products of the
/// losses, normalisations and attention are written with.
enum Recorded {
    /// A constant: a leaf that requires no gradient.
    static func constant<T: Scalar>(_ value: NDArray<T>) -> Tensor<T> { Tensor(value) }
    static func constant<T: Scalar>(_ value: T) -> Tensor<T> { Tensor(NDArray(scalar: value)) }
    static func constant<T: Scalar>(_ data: [T], shape: [Int]) -> Tensor<T> { Tensor(NDArray(shape: shape, data: data)) }

    static func add<T: Scalar>(_ a: Tensor<T>, _ b: Tensor<T>) throws(OpError) -> Tensor<T> {
        try Tensor.apply(Add(), [a, b])
    }
    static func sub<T: Scalar>(_ a: Tensor<T>, _ b: Tensor<T>) throws(OpError) -> Tensor<T> {
        try Tensor.apply(Sub(), [a, b])
    }
    static func mul<T: Scalar>(_ a: Tensor<T>, _ b: Tensor<T>) throws(OpError) -> Tensor<T> {
        try Tensor.apply(Mul(), [a, b])
    }
    static func div<T: Scalar>(_ a: Tensor<T>, _ b: Tensor<T>) throws(OpError) -> Tensor<T> {
        try Tensor.apply(Div(), [a, b])
    }
    static func neg<T: Scalar>(_ a: Tensor<T>) throws(OpError) -> Tensor<T> { try Tensor.apply(Neg(), [a]) }
    static func exp<T: Scalar>(_ a: Tensor<T>) throws(OpError) -> Tensor<T> { try Tensor.apply(Exp(), [a]) }
    static func log<T: Scalar>(_ a: Tensor<T>) throws(OpError) -> Tensor<T> { try Tensor.apply(Log(), [a]) }
    static func sqrt<T: Scalar>(_ a: Tensor<T>) throws(OpError) -> Tensor<T> { try Tensor.apply(Sqrt(), [a]) }
    static func rsqrt<T: Scalar>(_ a: Tensor<T>) throws(OpError) -> Tensor<T> { try Tensor.apply(Rsqrt(), [a]) }
    static func reshape<T: Scalar>(_ a: Tensor<T>, _ shape: [Int]) throws(OpError) -> Tensor<T> {
        a.shape == shape ? a : try Tensor.apply(Reshape(shape: shape), [a])
    }
    static func broadcast<T: Scalar>(_ a: Tensor<T>, _ shape: [Int]) throws(OpError) -> Tensor<T> {
        a.shape == shape ? a : try Tensor.apply(BroadcastTo(shape: shape), [a])
    }
    /// The sum over `axes`, keeping them with length 1.
    static func sumKeeping<T: Scalar>(_ a: Tensor<T>, axes: [Int]) throws(OpError) -> Tensor<T> {
        try Tensor.apply(Sum(axes: axes, keepdims: true), [a])
    }
    /// The mean over `axes`, keeping them: the sum times the reciprocal count.
    static func meanKeeping<T: Scalar>(_ a: Tensor<T>, axes: [Int]) throws(OpError) -> Tensor<T> {
        let n = axes.reduce(1) { $0 * a.shape[$1] }
        return try mul(sumKeeping(a, axes: axes), constant(1 / T(n)))
    }
}

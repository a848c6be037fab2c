import Autograd

/// Runs a plan in one precision: builds the leaves, applies the ops in order, runs the
/// backward pass, and writes the response. The dtype switch happens once, in
/// `GraphService`; everything below it is generic.
struct Executor<T: Scalar> {
    let plan: GraphPlan
    /// What runs: the plan's steps, with elementwise chains fused (`GraphPlan.fusedSteps`)
    /// unless every intermediate must be kept.
    let steps: [GraphPlan.Step]
    /// The request's tensors, made once: `/train` updates them in place between passes.
    let leaves: [Tensor<T>]
    /// The value of every slot after `forward()`: the leaves, then each op's output (nil
    /// for an op fused into a later one).
    private(set) var values: [Tensor<T>?]
    /// Checked before each op, forward and backward.
    let deadline: Deadline

    init(plan: GraphPlan, differentiate: Bool, deadline: Deadline = .none, fuse: Bool = true) {
        self.plan = plan
        self.deadline = deadline
        steps = fuse ? plan.fusedSteps() : plan.steps
        // A tensor a `grad` op differentiates with respect to requires a gradient whatever
        // the endpoint, as torch needs x.requires_grad_() before f is built from x.
        leaves = plan.request.tensors.enumerated().map { i, t in
            Tensor(
                NDArray(shape: t.shape, data: t.data.array(T.self)),
                requiresGrad: (differentiate && plan.differentiable[i]) || plan.gradTargets[i])
        }
        values = leaves
    }

    /// Computes every op's output. Throws only for problems that depend on values (an
    /// out-of-range class index), with the pointer of the op's input.
    mutating func forward() throws(Problem) {
        values = leaves
        values.append(contentsOf: repeatElement(nil, count: plan.steps.count))
        for (k, step) in steps.enumerated() {
            try deadline.check("before op \(k + 1) of \(steps.count) of the forward pass (\(step.op.pointer))")
            // A fused op reads only slots computed before it, like any other.
            let inputs = step.inputs.compactMap { values[$0] }
            if step.isGrad {
                values[step.slot] = try gradient(step, inputs)
            } else {
                do {
                    try step.operator.validateValues(inputs.map(\.value))
                    // Throws only if an op's output disagrees with its shape rule (a bug).
                    values[step.slot] = try Tensor.apply(step.operator, inputs, checkedShape: step.shape)
                } catch {
                    var problems = ProblemList()
                    problems.add(error, opPointer: step.op.pointer)
                    throw problems.problem
                }
            }
            if plan.gradTargets[step.slot], let value = values[step.slot], !value.requiresGrad {
                // Computed from constants: a leaf, made to require a gradient before it is read.
                value.requiresGrad = true
            }
        }
    }

    /// Differentiates the loss (with the request's seed, if any) into the leaves' `grad`.
    func backward() throws(Problem) {
        // A loss nothing requiring a gradient reaches has none to give: zeros, not an error.
        guard let loss = plan.loss, values[loss]?.requiresGrad == true else { return }
        let deadline = deadline
        do {
            try values[loss]?.backward(
                seed: plan.request.seed.map { NDArray(shape: $0.shape, data: $0.data.array(T.self)) },
                shouldStop: deadline.seconds == nil ? nil : { deadline.isPast })
        } catch .stopped {
            throw deadline.problem("during the backward pass")
        } catch {
            // Unreachable: the plan checked the seed's shape and the loss's rank.
            throw Problem(status: 422, title: "Unprocessable Content", detail: "backward: \(error)")
        }
    }

    /// The value in `slot` (a leaf, the loss, an output: never one fused away).
    func value(_ slot: Int) -> NDArray<T> { values[slot]?.value ?? NDArray(shape: [0], data: []) }

    /// The gradient of the leaf in `slot`, zeros where none reached it.
    func gradient(_ slot: Int) -> NDArray<T> { leaves[slot].gradOrZeros }

    /// The response body of /backward (`gradients: true`) or /forward.
    func encode(gradients: Bool) -> [UInt8] {
        var w = JSONWriter(capacity: 1024)
        w.raw("{\"dtype\":")
        w.string(T.dtype.rawValue)
        w.raw(",\"outputs\":")
        w.tensors(plan.outputs.map { ($0.name, value($0.slot)) }, encoding: plan.request.encoding)
        if gradients {
            w.raw(",\"gradients\":")
            w.tensors(plan.gradients.map { ($0.name, gradient($0.slot)) }, encoding: plan.request.encoding)
        }
        w.raw("}")
        return w.bytes
    }
}

extension JSONWriter {
    /// `{"name": tensor, ...}` in the given order, each as JSON numbers or base64.
    mutating func tensors<T: Scalar>(_ members: [(String, NDArray<T>)], encoding: TensorEncoding = .json) {
        reserve(members.reduce(0) { $0 + Self.estimatedBytes(name: $1.0, $1.1, encoding: encoding) })
        raw("{")
        for (i, (name, array)) in members.enumerated() {
            if i > 0 { raw(",") }
            key(name)
            switch encoding {
            case .json: tensor(array)
            case .b64: tensorBase64(array)
            }
        }
        raw("}")
    }
}

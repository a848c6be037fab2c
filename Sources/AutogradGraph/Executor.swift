import Autograd

/// Runs a plan in one precision: builds the leaves, applies the ops in order, runs the
/// backward pass, and writes the response. The dtype switch happens once, in
/// `GraphService`; everything below it is generic.
struct Executor<T: Scalar> {
    let plan: GraphPlan

    /// The values of every slot, after `run`.
    private(set) var values: [Tensor<T>] = []

    init(plan: GraphPlan) { self.plan = plan }

    /// Computes every op's output; then, if `differentiate`, the gradients of the loss.
    /// Throws only for problems that depend on values (an out-of-range class index).
    mutating func run(differentiate: Bool) throws(Problem) {
        let request = plan.request
        values.reserveCapacity(request.tensors.count + plan.steps.count)
        for (i, t) in request.tensors.enumerated() {
            values.append(Tensor(Self.array(t), requiresGrad: differentiate && plan.differentiable[i]))
        }
        for step in plan.steps {
            let inputs = step.inputs.map { values[$0] }
            do {
                try step.operator.validateValues(inputs.map(\.value))
            } catch {
                var problems = ProblemList()
                problems.add(error, opPointer: step.op.pointer)
                throw problems.problem
            }
            values.append(Tensor.apply(step.operator, inputs, checkedShape: step.shape))
        }
        guard differentiate, let loss = plan.loss else { return }
        do {
            try values[loss].backward(seed: request.seed.map(Self.array))
        } catch {
            // The plan checked the seed's shape and the loss's rank.
            throw Problem(status: 422, title: "Unprocessable Content", detail: "backward: \(error)")
        }
    }

    /// The response body: outputs, and gradients unless `gradients` is false.
    func encode(gradients: Bool) -> [UInt8] {
        var w = JSONWriter(capacity: 1024)
        w.raw("{\"dtype\":")
        w.string(T.dtype.rawValue)
        w.raw(",\"outputs\":")
        object(plan.outputs.map { ($0.name, values[$0.slot].value) }, into: &w)
        if gradients {
            w.raw(",\"gradients\":")
            object(plan.gradients.map { ($0.name, values[$0.slot].gradOrZeros) }, into: &w)
        }
        w.raw("}")
        return w.bytes
    }

    private func object(_ members: [(String, NDArray<T>)], into w: inout JSONWriter) {
        w.raw("{")
        for (i, (name, array)) in members.enumerated() {
            if i > 0 { w.raw(",") }
            w.key(name)
            w.tensor(array)
        }
        w.raw("}")
    }

    /// A request tensor in this precision. Values beyond its range (1e39 in float32) become
    /// infinities, as a cast does in PyTorch.
    static func array(_ t: TensorInput) -> NDArray<T> {
        NDArray(shape: t.shape, data: t.data.map { T($0) })
    }
}

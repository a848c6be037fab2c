import Autograd

// Derivatives of derivatives on the wire (issue 12): the `grad` op, /jvp and /hvp. Each
// differentiates the recorded graph with the library's create-graph pass
// (`grad(of:wrt:createGraph:)`, `jvp(of:wrt:tangents:)`), in which every op on the way
// states its vector-Jacobian product with recorded ops (`DifferentiableOperator`). An op
// that cannot is a 422 naming it, not a 500. Fused steps take part like any op: a fused
// elementwise chain is a `DifferentiableOperator` (it replays its program with each op's
// differentiable VJP), so the fusion pass stays on for these graphs too.
extension Executor {
    /// The value of a `grad` step: the gradient of the scalar `f` with respect to `x`, as a
    /// recorded tensor (torch's `create_graph=True`), so that later ops and a later
    /// backward pass differentiate through it. Zeros when `f` does not depend on `x`.
    func gradient(_ step: GraphPlan.Step, _ inputs: [Tensor<T>]) throws(Problem) -> Tensor<T> {
        guard inputs.count == 2 else {
            // Unreachable: grad steps are never fused away, so both inputs have values.
            throw Problem(status: 422, title: "Unprocessable Content", detail: "grad: an input has no value")
        }
        do {
            return try grad(of: inputs[0], wrt: [inputs[1]], createGraph: true)[0]
        } catch {
            throw higherOrderProblem(error, roots: [step.inputs[0]], at: step.op.pointer, stage: "computing \(step.op.pointer)")
        }
    }

    /// The response body of /jvp: the outputs and, for each, its Jacobian-vector product
    /// along the request's tangents (zero for the tensors without one), as
    /// `torch.autograd.functional.jvp`.
    func encodeJVP() throws(Problem) -> [UInt8] {
        try deadline.check("before the Jacobian-vector products")
        let outputs = plan.outputs.map { values[$0.slot] ?? Tensor(value($0.slot)) }
        let products: [Tensor<T>]
        do {
            products = try jvp(
                of: outputs, wrt: plan.directions.map { leaves[$0.slot] },
                tangents: plan.directions.map { Tensor(Self.array($0.direction)) })
        } catch {
            throw higherOrderProblem(error, roots: plan.outputs.map(\.slot), at: "/tangents", stage: "computing the tangents")
        }
        var w = JSONWriter(capacity: 1024)
        w.raw("{\"dtype\":")
        w.string(T.dtype.rawValue)
        w.raw(",\"outputs\":")
        w.tensors(zip(plan.outputs, outputs).map { ($0.name, $1.value) }, encoding: plan.request.encoding)
        w.raw(",\"tangents\":")
        w.tensors(zip(plan.outputs, products).map { ($0.name, $1.value) }, encoding: plan.request.encoding)
        w.raw("}")
        return w.bytes
    }

    /// The response body of /hvp: the outputs, the loss's gradients (the tensors /backward
    /// would answer for), and for each tensor with a vector its block of H·v, H the
    /// Hessian of the loss over all of those tensors jointly, as
    /// `torch.autograd.functional.hvp`. Reverse over reverse: H·v is the gradient of
    /// ⟨∇loss, v⟩, the gradient recorded by the create-graph pass.
    func encodeHVP() throws(Problem) -> [UInt8] {
        try deadline.check("before the Hessian-vector products")
        guard let lossSlot = plan.loss, let loss = values[lossSlot] else {
            // Unreachable: the plan requires a loss for /hvp.
            throw Problem(status: 422, title: "Unprocessable Content", detail: "/hvp needs a loss")
        }
        // One gradient pass for both answers: the tensors whose gradients are returned,
        // then those with a vector that are not among them.
        var wrt = plan.gradients.map(\.slot)
        var position: [Int] = []  // directions[k]'s place in wrt
        for (slot, _) in plan.directions {
            if let p = wrt.firstIndex(of: slot) {
                position.append(p)
            } else {
                position.append(wrt.count)
                wrt.append(slot)
            }
        }
        let stage = "computing the Hessian-vector products"
        let gradients: [Tensor<T>]
        let products: [Tensor<T>]
        do {
            // The library's: the second pass unrecorded, its products adding into the
            // gradients gathered so far (as `hvp(of:wrt:vectors:)` for W8).
            var vectors = [Tensor<T>?](repeating: nil, count: wrt.count)
            for (k, (_, direction)) in plan.directions.enumerated() { vectors[position[k]] = Tensor(Self.array(direction)) }
            // Only the gradients answered are computed: a tensor with a vector and no
            // `requires_grad` gets H·v alone (`DeferredWeightGradients`).
            let (g, hv) = try hessianVectorProducts(
                of: loss, wrt: wrt.map { leaves[$0] }, vectors: vectors,
                keepingGradients: wrt.indices.map { $0 < plan.gradients.count },
                shouldStop: deadline.seconds == nil ? nil : { deadline.isPast })
            gradients = plan.gradients.indices.map { g[$0] ?? Tensor(NDArray(repeating: 0, shape: leaves[wrt[$0]].shape)) }
            products = position.map { hv[$0] ?? Tensor(NDArray(repeating: 0, shape: leaves[wrt[$0]].shape)) }
        } catch let problem as Problem {
            throw problem
        } catch {
            throw higherOrderProblem(error, roots: [lossSlot], at: "/vectors", stage: stage)
        }
        var w = JSONWriter(capacity: 1024)
        w.raw("{\"dtype\":")
        w.string(T.dtype.rawValue)
        w.raw(",\"outputs\":")
        w.tensors(plan.outputs.map { ($0.name, value($0.slot)) }, encoding: plan.request.encoding)
        w.raw(",\"gradients\":")
        w.tensors(plan.gradients.enumerated().map { ($1.name, gradients[$0].value) }, encoding: plan.request.encoding)
        w.raw(",\"hvp\":")
        w.tensors(zip(plan.directions, products).map { ($0.direction.name, $1.value) }, encoding: plan.request.encoding)
        w.raw("}")
        return w.bytes
    }

    /// A direction's values as an array of the request's dtype.
    private static func array(_ t: TensorInput) -> NDArray<T> {
        NDArray(shape: t.shape, data: t.data.array(T.self))
    }

    /// The problem answering a failure of the create-graph pass over the graph behind
    /// `roots` (slots). An op without a differentiable VJP is 422 at that op of the request
    /// (the first such ancestor of the roots whose engine type the error names), or at
    /// `pointer` when it is an op a derivative's formula used; the deadline is 503.
    func higherOrderProblem(_ error: any Error, roots: [Int], at pointer: String, stage: String) -> Problem {
        var problems = ProblemList()
        switch error as? AutogradError {
        case .notTwiceDifferentiable(let function)?:
            let culprit = ancestors(of: roots).first { step in
                !(step.operator is any DifferentiableOperator)
                    && function.hasPrefix(String(describing: type(of: step.operator)) + "Backward")
            }
            if let culprit {
                let name = type(of: culprit.operator).signature.name
                problems.invalid(
                    culprit.op.pointer,
                    "\(name) cannot be differentiated twice yet (its derivative is not written with differentiable ops), "
                        + "so \(stage) fails: \(function)")
            } else {
                problems.invalid(pointer, "\(stage): \(error)")
            }
        case .stopped?:
            return deadline.problem(stage)
        default:
            // Errors of a derivative's formula (a wrong shape): bugs, reported where they arose.
            problems.invalid(pointer, "\(stage): \(error)")
        }
        return problems.problem
    }

    /// The steps that `roots` depend on (themselves included), in execution order.
    private func ancestors(of roots: [Int]) -> [GraphPlan.Step] {
        let leafCount = plan.request.tensors.count
        var needed = [Bool](repeating: false, count: leafCount + plan.steps.count)
        for r in roots { needed[r] = true }
        var result: [GraphPlan.Step] = []
        for step in plan.steps.reversed() where needed[step.slot] {
            result.append(step)
            for s in step.inputs { needed[s] = true }
        }
        return result.reversed()
    }
}

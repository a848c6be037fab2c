import Autograd

/// `/train`: full-batch optimisation with a torch.optim optimizer. Each step zeroes the
/// gradients, runs the graph forward, records the loss, runs backward and updates every
/// requires_grad tensor.
struct Trainer<T: Scalar> {
    let plan: GraphPlan
    let training: TrainingRequest
    var deadline: Deadline = .none

    func run() throws(Problem) -> [UInt8] {
        var executor = Executor<T>(plan: plan, differentiate: true, deadline: deadline)
        let parameters = plan.gradients.map { executor.leaves[$0.slot] }
        let optimizer = makeOptimizer(parameters)
        var losses: [T] = []
        losses.reserveCapacity(training.steps)
        for step in 0..<training.steps {
            try deadline.check("at step \(step + 1) of \(training.steps)")
            optimizer.zeroGrad()
            try executor.forward()
            if let loss = plan.loss { losses.append(executor.value(loss).data[0]) }
            try executor.backward()
            optimizer.step()
        }
        var w = JSONWriter(capacity: 1024)
        w.raw("{\"dtype\":")
        w.string(T.dtype.rawValue)
        w.raw(",\"losses\":[")
        for (i, l) in losses.enumerated() {
            if i > 0 { w.raw(",") }
            w.number(l)
        }
        w.raw("],\"parameters\":")
        w.tensors(plan.gradients.map { ($0.name, executor.leaves[$0.slot].value) }, encoding: plan.request.encoding)
        if let exporter = plan.request.exporter { try export(exporter, executor.leaves, into: &w) }
        w.raw("}")
        return w.bytes
    }

    /// `,"onnx":{"b64":"..."}`: the model the request carried, with its tensors' final values.
    private func export(_ exporter: any ModelExporter, _ leaves: [Tensor<T>], into w: inout JSONWriter) throws(Problem) {
        var slotOf: [String: Int] = [:]
        for (i, t) in plan.request.tensors.enumerated() where slotOf[t.name] == nil { slotOf[t.name] = i }
        let values = exporter.tensorNames.compactMap { name in
            slotOf[name].map { ExportedValues(name: name, shape: leaves[$0].shape, data: TensorValues(leaves[$0].value.data)) }
        }
        let bytes = try exporter.export(values)
        w.raw(",")
        w.key(exporter.field)
        w.raw("{\"b64\":\"")
        bytes.withUnsafeBytes { w.base64($0) }
        w.raw("\"}")
    }

    /// The optimizer; its hyper-parameters were validated by the decoder, so the
    /// optimizers' own preconditions hold.
    private func makeOptimizer(_ parameters: [Tensor<T>]) -> any Optimizer<T> {
        switch training.optimizer {
        case .sgd(let lr, let momentum, let dampening, let nesterov, let weightDecay):
            return SGD(parameters, lr: lr, momentum: momentum, dampening: dampening, nesterov: nesterov, weightDecay: weightDecay)
        case .adam(let lr, let beta1, let beta2, let eps, let weightDecay, let amsgrad, let decoupled):
            return decoupled
                ? AdamW(parameters, lr: lr, betas: (beta1, beta2), eps: eps, weightDecay: weightDecay, amsgrad: amsgrad)
                : Adam(parameters, lr: lr, betas: (beta1, beta2), eps: eps, weightDecay: weightDecay, amsgrad: amsgrad)
        }
    }
}

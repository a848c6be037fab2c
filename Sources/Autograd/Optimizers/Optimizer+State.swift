// Optimizer state as a `StateDict`, named as the `state` of torch's optimizer
// `state_dict()`: `i.momentum_buffer` (SGD), `i.step`, `i.exp_avg`, `i.exp_avg_sq` and
// `i.max_exp_avg_sq` (Adam, AdamW), `i` the parameter's index. Hyper-parameters (lr,
// betas...) are the optimizer's arguments and are not saved.

extension Optimizer {
    /// No state.
    public func stateDict() -> StateDict<Scalar> { StateDict() }

    /// Accepts an empty state; with `strict`, any name is unexpected.
    public func load(_ state: StateDict<Scalar>, strict: Bool = true) throws(StateError) {
        if strict && state.count > 0 { throw .keys(missing: [], unexpected: state.names) }
    }
}

extension SGD {
    /// Each parameter's momentum buffer, once it has one: `i.momentum_buffer`.
    public func stateDict() -> StateDict<Scalar> {
        var out = StateDict<Scalar>()
        for (i, b) in buffers.enumerated() where !b.isEmpty {
            out["\(i).momentum_buffer"] = NDArray(shape: parameters[i].shape, data: b)
        }
        return out
    }

    /// Replaces every momentum buffer with `state`'s (a parameter absent from it starts
    /// afresh, as after construction). A shape that differs from the parameter's throws;
    /// with `strict`, so does a name this optimizer does not keep.
    public func load(_ state: StateDict<Scalar>, strict: Bool = true) throws(StateError) {
        let found = try OptimizerState.read(state, parameters: parameters, fields: [("momentum_buffer", false)], strict: strict)
        buffers = found.map { $0["momentum_buffer"] ?? [] }
    }
}

extension AdamState {
    var stateDict: StateDict<Scalar> {
        var out = StateDict<Scalar>()
        for i in parameters.indices where !m[i].isEmpty {
            let shape = parameters[i].shape
            out["\(i).step"] = NDArray(scalar: Scalar(steps[i]))
            out["\(i).exp_avg"] = NDArray(shape: shape, data: m[i])
            out["\(i).exp_avg_sq"] = NDArray(shape: shape, data: v[i])
            if amsgrad { out["\(i).max_exp_avg_sq"] = NDArray(shape: shape, data: vMax[i]) }
        }
        return out
    }

    mutating func load(_ state: StateDict<Scalar>, strict: Bool) throws(StateError) {
        var fields = [("step", true), ("exp_avg", false), ("exp_avg_sq", false)]
        if amsgrad { fields.append(("max_exp_avg_sq", false)) }
        let found = try OptimizerState.read(state, parameters: parameters, fields: fields, strict: strict)
        steps = found.map { $0["step"].map { Int($0[0]) } ?? 0 }
        m = found.map { $0["exp_avg"] ?? [] }
        v = found.map { $0["exp_avg_sq"] ?? [] }
        vMax = found.map { $0["max_exp_avg_sq"] ?? [] }
    }
}

extension Adam {
    /// Each parameter's step count and moment estimates once it has stepped: `i.step`,
    /// `i.exp_avg`, `i.exp_avg_sq`, and with `amsgrad` `i.max_exp_avg_sq`.
    public func stateDict() -> StateDict<Scalar> { state.stateDict }

    /// Replaces every parameter's step count and moments with `state`'s (a parameter
    /// absent from it starts afresh). A parameter needs all its fields; a wrong shape throws;
    /// with `strict`, so do a missing field and a name this optimizer does not keep.
    public func load(_ state: StateDict<Scalar>, strict: Bool = true) throws(StateError) {
        try self.state.load(state, strict: strict)
    }
}

extension AdamW {
    /// As `Adam.stateDict()`.
    public func stateDict() -> StateDict<Scalar> { state.stateDict }

    /// As `Adam.load(_:strict:)`.
    public func load(_ state: StateDict<Scalar>, strict: Bool = true) throws(StateError) {
        try self.state.load(state, strict: strict)
    }
}

/// Reading `i.field` entries back into per-parameter values.
enum OptimizerState {
    /// For each parameter, its fields' values from `state`: a parameter has all `fields`
    /// or none. `fields` pairs a name with whether it is a scalar (else of the
    /// parameter's shape). Every check runs before the caller changes anything.
    static func read<S: Scalar>(
        _ state: StateDict<S>, parameters: [Tensor<S>], fields: [(String, Bool)], strict: Bool
    ) throws(StateError) -> [[String: [S]]] {
        var found = [[String: [S]]](repeating: [:], count: parameters.count)
        var unexpected: [String] = []
        for (name, value) in state.entries {
            let parts = name.split(separator: ".", maxSplits: 1)
            guard parts.count == 2, let i = Int(parts[0]), parameters.indices.contains(i),
                  let field = fields.first(where: { $0.0 == parts[1] })
            else {
                unexpected.append(name)
                continue
            }
            let shape = field.1 ? [] : parameters[i].shape
            guard value.shape == shape else { throw .shapeMismatch(key: name, expected: shape, got: value.shape) }
            found[i][field.0] = value.data
        }
        var missing: [String] = []
        for i in found.indices where !found[i].isEmpty {
            let absent = fields.filter { found[i][$0.0] == nil }.map { "\(i).\($0.0)" }
            if !absent.isEmpty {
                missing += absent
                found[i] = [:]
            }
        }
        if strict && !(missing.isEmpty && unexpected.isEmpty) { throw .keys(missing: missing, unexpected: unexpected) }
        return found
    }
}

/// Decodes `/train`'s `optimizer` and `steps`, with torch.optim's names and defaults.
extension RequestDecoder {
    mutating func decodeTraining(_ root: JSONObject, maxSteps: Int) -> TrainingRequest? {
        let before = problems.count
        var steps = 0
        switch root["steps"] {
        case nil:
            problems.wrongType("/steps", "required: the number of optimisation steps")
        case .number(let n)? where n.isIntegerLiteral:
            if let k = n.exactInt, k >= 0, k <= maxSteps { steps = k } else {
                problems.invalid("/steps", "must be between 0 and \(maxSteps)")
            }
        case let other?:
            problems.wrongType("/steps", "must be an integer; got \(other.kindName == "number" ? "a fraction" : other.kindName)")
        }
        let optimizer = decodeOptimizer(root["optimizer"])
        guard problems.count == before, let optimizer else { return nil }
        return TrainingRequest(optimizer: optimizer, steps: steps)
    }

    private mutating func decodeOptimizer(_ v: JSONValue?) -> OptimizerSpec? {
        let pointer = "/optimizer"
        guard let v else {
            problems.wrongType(pointer, "required: {\"name\": \"sgd\" | \"adam\" | \"adamw\", ...hyper-parameters}")
            return nil
        }
        guard case .object(let obj) = v else {
            problems.wrongType(pointer, "must be an object; got \(v.kindName)")
            return nil
        }
        guard case .string(let name)? = obj["name"] else {
            problems.wrongType(pointer + "/name", "required: \"sgd\", \"adam\" or \"adamw\"")
            return nil
        }
        let fields: [String]
        switch name {
        case "sgd": fields = ["name", "lr", "momentum", "dampening", "nesterov", "weight_decay"]
        case "adam", "adamw": fields = ["name", "lr", "betas", "eps", "weight_decay", "amsgrad"]
        default:
            problems.invalid(pointer + "/name", "unknown optimizer \"\(name.prefix(64))\"; expected \"sgd\", \"adam\" or \"adamw\"")
            return nil
        }
        for key in obj.keys where !fields.contains(key) {
            problems.invalid(Pointer.join(pointer, key), "\(name) takes " + fields.dropFirst().joined(separator: ", "))
        }
        let before = problems.count
        /// A hyper-parameter: a finite number within `range`, else its default.
        func param(_ key: String, _ fallback: Double, _ range: ClosedRange<Double> = 0...Double.greatestFiniteMagnitude, _ rule: String = "must not be negative") -> Double {
            guard let v = obj[key] else { return fallback }
            guard case .number(let n) = v else {
                problems.wrongType(pointer + "/" + key, "must be a number; got \(v.kindName)")
                return fallback
            }
            guard range.contains(n.value) else {
                problems.invalid(pointer + "/" + key, rule)
                return fallback
            }
            return n.value
        }
        /// A flag: a boolean, else its default (false).
        func flag(_ key: String) -> Bool {
            guard let v = obj[key] else { return false }
            guard case .bool(let b) = v else {
                problems.wrongType(pointer + "/" + key, "must be a boolean; got \(v.kindName)")
                return false
            }
            return b
        }
        if name == "sgd" {
            let momentum = param("momentum", 0)
            let dampening = param("dampening", 0, -Double.greatestFiniteMagnitude...Double.greatestFiniteMagnitude, "must be a finite number")
            let nesterov = flag("nesterov")
            if nesterov && (momentum <= 0 || dampening != 0) {
                problems.invalid(pointer + "/nesterov", "Nesterov momentum requires a momentum and zero dampening")
            }
            let spec = OptimizerSpec.sgd(
                lr: param("lr", 1e-3), momentum: momentum, dampening: dampening, nesterov: nesterov,
                weightDecay: param("weight_decay", 0))
            return problems.count == before ? spec : nil
        }
        var betas = (0.9, 0.999)
        if let b = obj["betas"] {
            if case .array(let items) = b, items.count == 2,
               case .number(let b1) = items[0], case .number(let b2) = items[1] {
                if (0..<1).contains(b1.value) && (0..<1).contains(b2.value) { betas = (b1.value, b2.value) } else {
                    problems.invalid(pointer + "/betas", "each beta must be in [0, 1)")
                }
            } else {
                problems.wrongType(pointer + "/betas", "must be an array of two numbers")
            }
        }
        let spec = OptimizerSpec.adam(
            lr: param("lr", 1e-3), beta1: betas.0, beta2: betas.1, eps: param("eps", 1e-8),
            weightDecay: param("weight_decay", name == "adamw" ? 1e-2 : 0), amsgrad: flag("amsgrad"),
            decoupled: name == "adamw")
        return problems.count == before ? spec : nil
    }
}

import Autograd

/// A request made ready to run: ops in dependency order, every name resolved to a slot,
/// every shape known and within the limits. Building it allocates no tensor.
struct GraphPlan {
    /// A value the graph computes with: the request's tensors first (slots
    /// `0..<tensors.count`), then the ops' outputs in execution order.
    struct Step {
        let op: OpInput
        let `operator`: any Operator
        /// Slots of the inputs.
        let inputs: [Int]
        let shape: [Int]
        /// Slot of the output.
        let slot: Int
        /// Whether it is the graph op `grad`, which the executor computes itself.
        var isGrad = false
    }

    let request: GraphRequest
    let steps: [Step]
    /// Slot of the loss, if any.
    let loss: Int?
    /// Names and slots to return, in response order.
    let outputs: [(name: String, slot: Int)]
    /// Tensor names and slots whose gradients to return, in response order.
    let gradients: [(name: String, slot: Int)]
    /// Tensors that need a gradient: requested ones and those with requires_grad (for
    /// /jvp: the tensors with a tangent; for /hvp: also those with a vector).
    let differentiable: [Bool]
    /// /jvp's tangents or /hvp's vectors: each a tensor of the request, by slot, with the
    /// direction's values, in request order.
    let directions: [(slot: Int, direction: TensorInput)]
    /// For every slot, whether a `grad` op differentiates with respect to it: the executor
    /// makes such a value require a gradient before any op reads it.
    let gradTargets: [Bool]
    /// Whether any step is a `grad` op.
    let hasGradOps: Bool

    /// Plans `request` for `endpoint`, adding to the `problems` its decoding found; throws them all.
    init(_ request: GraphRequest, problems: ProblemList, limits: GraphLimits, for endpoint: Endpoint) throws(Problem) {
        try self.init(
            request, problems: problems, limits: limits, needsGradients: endpoint != .forward && endpoint != .jvp,
            requiresLoss: endpoint == .train, requiresScalarLoss: endpoint == .hvp,
            secondPass: endpoint == .jvp ? "/tangents" : endpoint == .hvp ? "/vectors" : nil)
    }

    /// Plans `request`, adding to the `problems` its decoding found; throws them all.
    /// `requiresLoss`: a missing loss is a missing field (400); `requiresScalarLoss`: a
    /// graph without a scalar loss cannot be computed (422, /hvp).
    init(
        _ request: GraphRequest, problems: ProblemList, limits: GraphLimits, needsGradients: Bool,
        requiresLoss: Bool = false, requiresScalarLoss: Bool = false, secondPass: String? = nil
    ) throws(Problem) {
        var problems = problems
        self.request = request

        // Names are unique across tensors and ops.
        var slotOf: [String: Int] = [:]
        for (i, t) in request.tensors.enumerated() { slotOf[t.name] = i }
        var opIndexOf: [String: Int] = [:]  // op id -> position in request.ops
        for (k, op) in request.ops.enumerated() {
            if slotOf[op.id] != nil || opIndexOf[op.id] != nil {
                problems.invalid(op.pointer + "/id", "the name \"\(op.id.prefix(64))\" is already used by a tensor or an earlier op")
            } else {
                opIndexOf[op.id] = k
            }
        }
        for op in request.ops {
            for (j, name) in op.inputs.enumerated()
            where slotOf[name] == nil && opIndexOf[name] == nil && !request.invalidTensorNames.contains(name) {
                problems.invalid(op.pointer + "/inputs/\(j)", "no tensor or op is named \"\(name.prefix(64))\"")
            }
        }
        // Order the ops so each comes after the ops it reads: iterative depth-first
        // post-order, starting from each op in request order, so the order is the same
        // for the same request and a 100,000-op chain needs no deep recursion.
        let order = Self.topologicalOrder(request.ops, opIndexOf: opIndexOf, problems: &problems)
        if order.count < request.ops.count { throw problems.problem }  // a cycle: nothing further is checkable

        // Shapes, in that order, and the element limit.
        var shapes: [[Int]] = request.tensors.map(\.shape)
        var elements = request.tensors.reduce(0) { $0 + $1.data.count }
        var steps: [Step] = []
        steps.reserveCapacity(order.count)
        var failed = [Bool](repeating: false, count: request.tensors.count)
        for k in order {
            let op = request.ops[k]
            let inputs = op.inputs.map { name in slotOf[name] ?? -1 }
            slotOf[op.id] = shapes.count
            // An op whose input already failed is not checked again: one cause, one report.
            guard let opType = op.op, !inputs.contains(where: { $0 < 0 || failed[$0] }) else {
                shapes.append([])
                failed.append(true)
                continue
            }
            var shape: [Int] = []
            var ok = true
            do {
                shape = try opType.outputShape(inputs.map { shapes[$0] })
            } catch {
                problems.add(error, opPointer: op.pointer)
                ok = false
            }
            if ok {
                let count = Shape.count(shape) ?? Int.max
                let (total, overflow) = elements.addingReportingOverflow(count)
                if overflow || total > limits.maxElements {
                    problems.invalid(op.pointer, "output \(Shape.describe(shape)) would bring the request to more than \(limits.maxElements) elements")
                    ok = false
                } else if shape.count > limits.maxRank {
                    problems.invalid(op.pointer, "output rank \(shape.count) is over the limit of \(limits.maxRank)")
                    ok = false
                } else if let why = limits.shapeProblem(shape) {
                    problems.invalid(op.pointer, "output: " + why)
                    ok = false
                } else {
                    elements = total
                }
            }
            shapes.append(shape)
            failed.append(!ok)
            steps.append(Step(
                op: op, operator: opType, inputs: inputs, shape: shape, slot: shapes.count - 1, isGrad: opType is GradOp))
        }

        // loss, seed, outputs, gradients.
        var loss: Int?
        if let name = request.loss {
            if let s = slotOf[name] {
                loss = s
                if let seed = request.seed {
                    if !failed[s] && seed.shape != shapes[s] {
                        problems.invalid("/seed", "the seed has shape \(Shape.describe(seed.shape)); the loss \"\(name.prefix(64))\" has \(Shape.describe(shapes[s]))")
                    }
                } else if !failed[s] && !shapes[s].isEmpty {
                    problems.invalid("/loss", "the loss \"\(name.prefix(64))\" has shape \(Shape.describe(shapes[s])); a loss must be a scalar (shape [])"
                        + (requiresScalarLoss ? "" : " unless a seed is given"))
                }
            } else if !request.invalidTensorNames.contains(name) {
                problems.invalid("/loss", "no tensor or op is named \"\(name.prefix(64))\"")
            }
        } else if requiresLoss {
            problems.wrongType("/loss", "required: the scalar to minimise")
        } else if requiresScalarLoss {
            problems.invalid("/loss", "required: the scalar (shape []) whose Hessian-vector products to compute")
        } else if request.seed != nil {
            problems.invalid("/seed", "a seed needs a loss to differentiate")
        }

        var outputs: [(String, Int)] = []
        if let names = request.outputs {
            for (i, name) in names.enumerated() {
                if let s = slotOf[name] { outputs.append((name, s)) } else if !request.invalidTensorNames.contains(name) {
                    problems.invalid("/outputs/\(i)", "no tensor or op is named \"\(name.prefix(64))\"")
                }
            }
        } else if let name = request.loss, let s = slotOf[name] {
            outputs = [(name, s)]
        } else {
            // Without a loss: every op no other op reads, in request order.
            var consumed = Set<String>()
            for op in request.ops { consumed.formUnion(op.inputs) }
            outputs = request.ops.filter { !consumed.contains($0.id) }.compactMap { op in slotOf[op.id].map { (op.id, $0) } }
        }

        var gradients: [(String, Int)] = []
        var differentiable = request.tensors.map(\.requiresGrad)
        if let names = request.gradients {
            if request.loss == nil {
                problems.invalid("/gradients", "gradients need a loss to differentiate")
            }
            for (i, name) in names.enumerated() {
                if let s = slotOf[name], s < request.tensors.count {
                    gradients.append((name, s))
                    differentiable[s] = true
                } else if slotOf[name] != nil {
                    problems.invalid("/gradients/\(i)", "\"\(name.prefix(64))\" is an op; gradients are returned for tensors")
                } else if !request.invalidTensorNames.contains(name) {
                    problems.invalid("/gradients/\(i)", "no tensor is named \"\(name.prefix(64))\"")
                }
            }
        } else if request.loss != nil {
            gradients = request.tensors.enumerated().filter { $1.requiresGrad }.map { ($1.name, $0) }
        }
        // /jvp's tangents, /hvp's vectors: each names a tensor and has its shape.
        var directions: [(slot: Int, direction: TensorInput)] = []
        var directed = differentiable.map { _ in false }
        if let given = request.tangents ?? request.vectors {
            let field = request.tangents != nil ? "tangents" : "vectors"
            for d in given {
                if let s = slotOf[d.name], s < request.tensors.count {
                    if d.shape != request.tensors[s].shape {
                        problems.invalid(d.pointer, "has shape \(Shape.describe(d.shape)); the tensor \"\(d.name.prefix(64))\" has \(Shape.describe(request.tensors[s].shape))")
                    } else {
                        directions.append((s, d))
                        directed[s] = true
                    }
                } else if slotOf[d.name] != nil {
                    problems.invalid(d.pointer, "\"\(d.name.prefix(64))\" is an op; \(field) are given for tensors of the request")
                } else if !request.invalidTensorNames.contains(d.name) {
                    problems.invalid(d.pointer, "no tensor is named \"\(d.name.prefix(64))\"")
                }
            }
        }
        var gradTargets = [Bool](repeating: false, count: shapes.count)
        var hasGradOps = false
        for step in steps where step.isGrad {
            gradTargets[step.inputs[1]] = true
            hasGradOps = true
        }
        let finalDifferentiable = zip(needsGradients ? differentiable : directed, directed).map { $0 || $1 }
        if problems.isEmpty && (hasGradOps || secondPass != nil) {
            // /jvp and /hvp differentiate their outputs or loss twice (`secondPass`: where to point).
            let roots = request.tangents != nil ? outputs.map(\.1) : loss.map { [$0] } ?? []
            let route = secondPass.map { (roots: roots, passes: 2, pointer: $0) }
            Self.checkTwiceDifferentiable(
                steps, tracked: zip(finalDifferentiable, gradTargets).map { $0 || $1 }, gradTargets: gradTargets,
                roots: route?.roots, problems: &problems)
            if problems.isEmpty {
                Self.checkDerivativeCost(steps, tensors: request.tensors, route: route, limits: limits, problems: &problems)
            }
        }
        try problems.check()

        self.steps = steps
        self.directions = directions
        self.gradTargets = gradTargets
        self.hasGradOps = hasGradOps
        self.loss = loss
        self.outputs = outputs
        self.gradients = needsGradients ? gradients : []
        self.differentiable = finalDifferentiable
    }

    /// Op indices in dependency order; a cycle is reported at each op on it, and leaves
    /// the order empty.
    private static func topologicalOrder(
        _ ops: [OpInput], opIndexOf: [String: Int], problems: inout ProblemList
    ) -> [Int] {
        // 0: not visited, 1: on the current path, 2: done.
        var state = [UInt8](repeating: 0, count: ops.count)
        var order: [Int] = []
        order.reserveCapacity(ops.count)
        var stack: [(op: Int, next: Int)] = []
        for start in ops.indices where state[start] == 0 {
            state[start] = 1
            stack.append((start, 0))
            while let (k, next) = stack.last {
                let inputs = ops[k].inputs
                if next < inputs.count {
                    stack[stack.count - 1].next = next + 1
                    guard let dep = opIndexOf[inputs[next]] else { continue }
                    if state[dep] == 0 {
                        state[dep] = 1
                        stack.append((dep, 0))
                    } else if state[dep] == 1 {
                        // The ops from `dep` up the stack to `k` form the cycle.
                        let cycle = stack[(stack.lastIndex { $0.op == dep } ?? 0)...].map(\.op)
                        let path = cycle.prefix(8).map { "\"\(ops[$0].id.prefix(64))\"" }.joined(separator: " -> ")
                            + (cycle.count > 8 ? " -> ..." : "") + " -> \"\(ops[dep].id.prefix(64))\""
                        for c in cycle {
                            problems.invalid(ops[c].pointer, "op is on a cycle of \(cycle.count) ops: \(path)")
                        }
                        return []
                    }
                } else {
                    stack.removeLast()
                    state[k] = 2
                    order.append(k)
                }
            }
        }
        return order
    }
}

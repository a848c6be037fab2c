import Autograd

/// The cost of differentiating a graph again, checked before anything runs.
///
/// A `grad` op, /jvp and /hvp run the create-graph pass, which records the derivative of
/// the graph behind their scalar as new ops: a few per op it walks (its VJP's ops, the
/// gradient accumulation, the un-broadcasting), and their values. Nesting multiplies: a
/// `grad` of a graph that contains a `grad` walks the first one's recorded derivative too,
/// so ten nested `grad`s of one op record about 3¹⁰ ops. Those ops are not steps of the
/// plan, so the op and element limits do not see them, and one op's pass is not
/// interrupted by the request timeout. The plan therefore estimates them: every op behind
/// the differentiated scalar, with what earlier `grad`s behind it recorded, counts
/// `derivativeGrowth` times, in ops and in elements; the estimates must stay within
/// `GraphLimits.maxRecordedOps` and `maxElements`.
extension GraphPlan {
    /// Recorded ops and values per op a create-graph pass walks (an upper estimate: the
    /// measured growth of nested grads of tanh is about 3.2).
    static let derivativeGrowth = 4

    /// Adds to `problems` each `grad` step, and the route's own pass (`route`: the roots it
    /// differentiates, how many create-graph passes it makes, and where to point), whose
    /// recorded derivative would pass the limits.
    static func checkDerivativeCost(
        _ steps: [Step], tensors: [TensorInput], route: (roots: [Int], passes: Int, pointer: String)?,
        limits: GraphLimits, problems: inout ProblemList
    ) {
        let hasGrad = steps.contains { $0.isGrad }
        guard hasGrad || route != nil else { return }
        let slotCount = tensors.count + steps.count
        // Per slot: the ops and elements it stands for (an op's own, plus what a grad recorded).
        var ops = [Int](repeating: 0, count: slotCount)
        var elements = [Int](repeating: 0, count: slotCount)
        var producer = [Int](repeating: -1, count: slotCount)
        for (i, t) in tensors.enumerated() { elements[i] = t.data.count }
        for (k, step) in steps.enumerated() { producer[step.slot] = k }
        var mark = [Int](repeating: -1, count: slotCount)
        var walk = 0

        // The ops and elements behind `roots` (each counted once), saturating.
        func behind(_ roots: [Int]) -> (ops: Int, elements: Int) {
            walk += 1
            var total = (ops: 0, elements: 0)
            var stack = roots.filter { mark[$0] != walk }
            for r in stack { mark[r] = walk }
            while let s = stack.popLast() {
                total.ops = Self.saturating(total.ops, ops[s])
                total.elements = Self.saturating(total.elements, elements[s])
                guard producer[s] >= 0 else { continue }
                for i in steps[producer[s]].inputs where mark[i] != walk {
                    mark[i] = walk
                    stack.append(i)
                }
            }
            return total
        }

        var recordedOps = 0
        for step in steps {
            ops[step.slot] = 1
            elements[step.slot] = Shape.count(step.shape) ?? Int.max
            guard step.isGrad else { continue }
            let cost = behind([step.inputs[0]])
            let added = (ops: Self.scaled(cost.ops, derivativeGrowth), elements: Self.scaled(cost.elements, derivativeGrowth))
            recordedOps = Self.saturating(recordedOps, added.ops)
            ops[step.slot] = Self.saturating(1, added.ops)
            elements[step.slot] = Self.saturating(elements[step.slot], added.elements)
            if let why = Self.overLimit(recordedOps, added.elements, limits) {
                problems.invalid(step.op.pointer, "the derivative grad records " + why)
                return
            }
        }
        guard let route else { return }
        var cost = behind(route.roots)
        // Each pass walks what the previous one recorded as well.
        var added = (ops: 0, elements: 0)
        for _ in 0..<route.passes {
            let pass = (ops: Self.scaled(cost.ops, derivativeGrowth), elements: Self.scaled(cost.elements, derivativeGrowth))
            added = (Self.saturating(added.ops, pass.ops), Self.saturating(added.elements, pass.elements))
            cost = (Self.saturating(cost.ops, pass.ops), Self.saturating(cost.elements, pass.elements))
        }
        if let why = Self.overLimit(Self.saturating(recordedOps, added.ops), added.elements, limits) {
            problems.invalid(route.pointer, "differentiating the graph twice records " + why)
        }
    }

    private static func overLimit(_ ops: Int, _ elements: Int, _ limits: GraphLimits) -> String? {
        if ops > limits.maxRecordedOps {
            return "about \(ops) ops, with the request's other derivatives over the limit of \(limits.maxRecordedOps) (nested grads multiply: differentiate a smaller graph or nest fewer)"
        }
        if elements > limits.maxElements {
            return "about \(elements) elements, over the limit of \(limits.maxElements)"
        }
        return nil
    }

    private static func saturating(_ a: Int, _ b: Int) -> Int {
        let (s, overflow) = a.addingReportingOverflow(b)
        return overflow ? Int.max : s
    }

    private static func scaled(_ a: Int, _ k: Int) -> Int {
        let (s, overflow) = a.multipliedReportingOverflow(by: k)
        return overflow ? Int.max : s
    }

    /// Adds to `problems` each op that a create-graph pass will walk and that has no
    /// differentiable VJP, at that op: before anything runs, where the pass would stop at
    /// it. The pass walks the recorded ops behind a `grad` step's `f` (and behind `roots`,
    /// /jvp's outputs or /hvp's loss), and an op is recorded when one of its inputs
    /// requires a gradient: `tracked` (per leaf: requires one) spreads through the steps as
    /// `requiresGrad` does, and `gradTargets` are made to require one. (An op inside a
    /// derivative's formula, or reached through a grad's recorded value, is found while it
    /// runs: `Executor.higherOrderProblem` reports it.)
    static func checkTwiceDifferentiable(
        _ steps: [Step], tracked leaves: [Bool], gradTargets: [Bool], roots: [Int]?, problems: inout ProblemList
    ) {
        let slotCount = leaves.count + steps.count
        var tracked = leaves + [Bool](repeating: false, count: steps.count)
        var producer = [Int](repeating: -1, count: slotCount)
        for (k, step) in steps.enumerated() {
            producer[step.slot] = k
            // Whether a grad's value is recorded depends on the formulas (the gradient of a
            // linear f is a constant): counted as not, so that nothing valid is refused;
            // the executor reports what this misses.
            tracked[step.slot] = gradTargets[step.slot] || (!step.isGrad && step.inputs.contains { tracked[$0] })
        }
        var reported = [Bool](repeating: false, count: steps.count)
        var seen = [Int](repeating: -1, count: slotCount)
        func walk(from starts: [Int], _ mark: Int) {
            var stack = starts.filter { tracked[$0] }
            for s in stack { seen[s] = mark }
            while let s = stack.popLast() {
                let k = producer[s]
                guard k >= 0 else { continue }
                let step = steps[k]
                // A grad step's own recorded graph is made of differentiable VJPs' ops.
                if !step.isGrad && !(step.operator is any DifferentiableOperator) && !reported[k] {
                    reported[k] = true
                    let name = type(of: step.operator).signature.name
                    problems.invalid(
                        step.op.pointer,
                        "\(name) cannot be differentiated twice yet (its derivative is not written with differentiable ops), "
                            + "and a higher derivative asked for here passes through it")
                }
                for i in step.inputs where tracked[i] && seen[i] != mark {
                    seen[i] = mark
                    stack.append(i)
                }
            }
        }
        for (k, step) in steps.enumerated() where step.isGrad { walk(from: [step.inputs[0]], k) }
        if let roots { walk(from: roots, steps.count) }
    }
}

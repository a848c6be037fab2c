import Autograd

/// Fuses elementwise steps whose intermediates nothing else reads into one
/// `FusedElementwise` step (issue 4: the whole graph is known before it runs, so a chain
/// such as `sum(sigmoid(a*b + a))` makes one pass over memory forward and one backward,
/// split over the thread budget, instead of one pass per op and a fresh array for each).
///
/// A group has a root — an elementwise step, or a `sum` of all elements of one — and takes
/// in every elementwise step of the root's shape whose output only the group reads: not
/// the loss, not a requested output, not an input of any step outside the group. Its
/// inputs from outside must have the root's element shape or hold one element. Fused
/// results equal unfused ones (see `FusedElementwise`), so fusion is invisible on the
/// wire; `POST /graph`, which shows every intermediate, runs unfused.
extension GraphPlan {
    /// Instructions per fused group at most: the backward pass keeps a tile of values and
    /// one of adjoints per instruction in each worker's cache.
    static let maxFusedInstructions = 32

    /// `steps` with each fusable group replaced by one step at its root's place.
    func fusedSteps() -> [Step] {
        let elementwise = steps.map { $0.operator.fusedInstruction(operands: $0.inputs) != nil }
        // Every group has an elementwise step; most small graphs have none.
        guard elementwise.contains(true) else { return steps }
        let leafCount = request.tensors.count
        let slotCount = leafCount + steps.count
        var uses = [Int](repeating: 0, count: slotCount)
        for step in steps { for s in step.inputs { uses[s] += 1 } }
        if let loss { uses[loss] += 1 }
        for o in outputs { uses[o.slot] += 1 }
        // Steps by output slot, and which ones an instruction can compute.
        var stepAt = [Int](repeating: -1, count: slotCount)
        for (k, step) in steps.enumerated() { stepAt[step.slot] = k }

        var absorbed = [Bool](repeating: false, count: steps.count)
        var replacement: [Int: Step] = [:]
        for root in stride(from: steps.count - 1, through: 0, by: -1) where !absorbed[root] {
            guard let group = group(rootedAt: root, leafCount: leafCount, uses: uses, stepAt: stepAt, elementwise: elementwise, absorbed: absorbed),
                  let fused = fusedStep(group)
            else { continue }
            for k in group.members { absorbed[k] = true }
            replacement[root] = fused
        }
        var result: [Step] = []
        result.reserveCapacity(steps.count)
        for (k, step) in steps.enumerated() {
            if let fused = replacement[k] {
                result.append(fused)
            } else if !absorbed[k] {
                result.append(step)
            }
        }
        return result
    }

    private struct Group {
        /// Step indices in execution order; the last computes the value the root returns
        /// (the root itself, or the input of a root `sum`).
        var members: [Int]
        let root: Int
        let sums: Bool
        let elementShape: [Int]
    }

    private func group(
        rootedAt root: Int, leafCount: Int, uses: [Int], stepAt: [Int], elementwise: [Bool], absorbed: [Bool]
    ) -> Group? {
        let rootStep = steps[root]
        var sums = false
        var top = root
        if !elementwise[root] {
            // A sum of everything, of an elementwise step only it reads.
            guard rootStep.inputs.count == 1 else { return nil }
            let s = rootStep.inputs[0]
            guard s >= leafCount, uses[s] == 1 else { return nil }
            let k = stepAt[s]
            guard k >= 0, elementwise[k], !absorbed[k],
                  FusedElementwise.isFullSum(rootStep.operator, inputShape: steps[k].shape)
            else { return nil }
            sums = true
            top = k
        }
        let shape = steps[top].shape
        let count = Shape.count(shape) ?? 0
        func acceptsInputs(_ k: Int) -> Bool {
            steps[k].inputs.allSatisfy { s in
                let inShape = s < leafCount ? request.tensors[s].shape : steps[stepAt[s]].shape
                let c = Shape.count(inShape) ?? -1
                return (c == count || c == 1) && Shape.broadcast(inShape, shape) == shape
            }
        }
        guard acceptsInputs(top) else { return nil }
        var members: Set<Int> = [top]
        var readsInGroup: [Int: Int] = [:]  // slot -> uses by members
        for s in steps[top].inputs { readsInGroup[s, default: 0] += 1 }
        var grew = true
        while grew && members.count < Self.maxFusedInstructions {
            grew = false
            // Later producers first, in a fixed order: the group is the same on every run.
            for s in readsInGroup.keys.sorted(by: >) where s >= leafCount && readsInGroup[s] == uses[s] {
                let k = stepAt[s]
                guard k >= 0, !members.contains(k), elementwise[k], !absorbed[k], steps[k].shape == shape,
                      acceptsInputs(k)
                else { continue }
                members.insert(k)
                for t in steps[k].inputs { readsInGroup[t, default: 0] += 1 }
                grew = true
                if members.count >= Self.maxFusedInstructions { break }
            }
        }
        // One elementwise step alone gains nothing from fusing; with a sum it saves a pass.
        guard members.count >= 2 || sums else { return nil }
        var ordered = members.sorted()
        if sums { ordered.append(root) }
        return Group(members: ordered, root: root, sums: sums, elementShape: shape)
    }

    /// The group as one step: registers for the group's inputs from outside (in order of
    /// first use), then one per elementwise step.
    private func fusedStep(_ group: Group) -> Step? {
        let elementwiseMembers = group.sums ? Array(group.members.dropLast()) : group.members
        var registerOf: [Int: Int] = [:]
        var external: [Int] = []
        let produced = Set(elementwiseMembers.map { steps[$0].slot })
        for k in elementwiseMembers {
            for s in steps[k].inputs where !produced.contains(s) && registerOf[s] == nil {
                registerOf[s] = external.count
                external.append(s)
            }
        }
        var instructions: [FusedElementwise.Instruction] = []
        for k in elementwiseMembers {
            let operands = steps[k].inputs.compactMap { registerOf[$0] }
            guard operands.count == steps[k].inputs.count,
                  let instruction = FusedElementwise.instruction(for: steps[k].operator, operands: operands)
            else { return nil }
            registerOf[steps[k].slot] = external.count + instructions.count
            instructions.append(instruction)
        }
        let root = steps[group.root]
        // The loss itself, differentiated with the default seed of 1: its gradients can be
        // computed in the forward pass (see `FusedElementwise.gradientsInForward`).
        let isLoss = group.sums && loss == root.slot && request.seed == nil
        guard let fused = try? FusedElementwise(
            inputCount: external.count, instructions: instructions, sumsOutput: group.sums, gradientsInForward: isLoss)
        else { return nil }
        return Step(op: root.op, operator: fused, inputs: external, shape: root.shape, slot: root.slot)
    }
}

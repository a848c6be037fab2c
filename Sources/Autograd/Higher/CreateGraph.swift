// The create-graph backward pass and what is built on it: `grad(of:wrt:)`,
// `backward(createGraph:)`, and forward-mode and Hessian-vector products by the
// double-backward trick (as `torch.autograd.functional.jvp` and `hvp` compute them).
//
// It walks the same graph as `backward()`, but every gradient is a `Tensor` computed by
// the ops' `differentiableVJP`, so the gradients are recorded and can be differentiated in
// turn. The first-order pass is untouched: this one runs only when a higher derivative is
// asked for.

/// Where `recordedGradients` keeps a gradient it is gathering: a recorded node's slot, or
/// a target's result.
private enum SumPlace { case slot(Int), result(Int) }

/// The weight gradients a create-graph pass leaves to `hessianVectorProducts`: a `linear`
/// (or `linear_transposed`) whose weight is a leaf target with a vector. Nothing in the
/// second pass reads dW = xᵀ G's value: differentiating ⟨dW, v⟩ only seeds G with x·v and
/// x with G·vᵀ, two products `hessianVectorProducts` computes itself.
///
/// - Where the weight's gradient is kept (`hvp(of:wrt:vectors:)`, and `/hvp` for a tensor
///   with `requires_grad`), only a layer whose input gets no gradient is left here (W8's
///   first layer: 128×784×512): dW and x·v are then computed together, one on each core
///   (`gemmPair`), instead of one after the other, each split in halves.
/// - Where it is not (`hvp(_:at:vectors:)`, which answers only H·v as
///   `torch.autograd.functional.hvp`; `/hvp` for a tensor with a vector and no
///   `requires_grad`), every such layer is left here and dW is never computed: gradient
///   values nobody reads are a sixth of the HVP's products in W8 (dW₁ and dW₂), and
///   `jax.jit` of `jvp(grad(f))` drops them too.
final class DeferredWeightGradients<T: Scalar> {
    struct Item {
        /// The weight's place among the targets.
        let target: Int
        /// `linear_transposed` ([out, in] weight): dW = Gᵀ x, and the seed x·vᵀ.
        let transposed: Bool
        let x: NDArray<T>
        /// The input x, when it gets a gradient in the second pass (G·vᵀ); only where the
        /// weight's gradient is not kept.
        let input: Tensor<T>?
        /// G: the gradient reaching the linear's output, recorded.
        let cotangent: Tensor<T>
        let vector: Tensor<T>
    }

    /// One per target; nil where the target has no vector.
    let vectors: [Tensor<T>?]
    /// One per target: whether its gradient's value is wanted (then computed from the items).
    let keepsGradient: [Bool]
    private(set) var items: [Item] = []

    init(vectors: [Tensor<T>?], keepsGradient: [Bool]) {
        precondition(vectors.count == keepsGradient.count)
        self.vectors = vectors
        self.keepsGradient = keepsGradient
    }

    /// The seeds of the second pass for the items' cotangents (x·v) and inputs (G·vᵀ),
    /// handed over to `recordedGradients`, which moves each array out: held nowhere else,
    /// the products and the bias's broadcast of the second pass add into it in place.
    var seeds: [(tensor: Tensor<T>, seed: NDArray<T>?)] = []

    /// Whether the weight gradient of `op` (`needs`: of `inputs`) is left here, recorded as
    /// an item; the op's VJP is then asked for the others only.
    func take(
        _ op: any Operator, inputs: [Tensor<T>], cotangent g: Tensor<T>, needs: [Bool],
        targets: [ObjectIdentifier: [Int]]
    ) -> Bool {
        let transposed: Bool
        switch op {
        case is LinearOp: transposed = false
        case is LinearTransposedOp: transposed = true
        default: return false
        }
        guard needs.count >= 2, needs[1], g.requiresGrad else { return false }
        let w = inputs[1]
        guard !w.isRecorded, let indices = targets[ObjectIdentifier(w)], indices.count == 1,
              let vector = vectors[indices[0]], w.rank == 2, inputs[0].rank >= 1,
              !needs[0] || !keepsGradient[indices[0]]
        else { return false }
        items.append(Item(
            target: indices[0], transposed: transposed, x: inputs[0].value, input: needs[0] ? inputs[0] : nil,
            cotangent: g, vector: vector))
        return true
    }

    /// After the first pass: `gradients` (the first pass's, one per target) completed with
    /// what was left out, and the seeds of the second pass. Each item seeds G with x·v
    /// (x·vᵀ for `linear_transposed`); where the weight's gradient is kept, dW = xᵀ G (Gᵀ x)
    /// is computed on the other core and added to the gradient; where it is not, an input
    /// that gets a gradient is seeded with G·vᵀ (G·v) on the other core.
    func complete(_ gradients: inout [Tensor<T>?], wrt: [Tensor<T>]) throws {
        for item in items {
            let function = item.transposed ? "LinearTransposedOpBackward" : "LinearOpBackward"
            let x = LinearProduct.flatten(item.x), g = LinearProduct.flatten(item.cotangent.value)
            let tangent = GEMMOperands(x, item.vector.value, transB: item.transposed)
            let seed: NDArray<T>
            if keepsGradient[item.target] {
                let value = item.transposed ? GEMMOperands(g, x, transA: true) : GEMMOperands(x, g, transA: true)
                let dW: NDArray<T>
                (dW, seed) = gemmPair(value, tangent)
                let w = wrt[item.target]
                guard dW.shape == w.shape else {
                    throw AutogradError.invalidGradient(function: function, index: 1, got: dW.shape, expected: w.shape)
                }
                gradients[item.target] = try gradients[item.target].map { try Tensor.apply(Add(), [$0, Tensor(dW)]) } ?? Tensor(dW)
            } else if let input = item.input {
                let inputSeed: NDArray<T>
                (seed, inputSeed) = gemmPair(tangent, GEMMOperands(g, item.vector.value, transB: !item.transposed))
                guard inputSeed.count == input.count else {
                    throw AutogradError.invalidGradient(function: function, index: 0, got: inputSeed.shape, expected: input.shape)
                }
                seeds.append((input, inputSeed.reshaped(input.shape)))
            } else {
                seed = tangent.product()
            }
            guard seed.count == item.cotangent.count else {
                throw AutogradError.invalidGradient(function: function, index: 1, got: seed.shape, expected: item.cotangent.shape)
            }
            seeds.append((item.cotangent, seed.reshaped(item.cotangent.shape)))
        }
    }
}

extension Tensor {
    /// The gradients of `roots` (each contracted with its seed) with respect to `targets`,
    /// as recorded tensors; `nil` for a target no root depends on. With
    /// `accumulateIntoLeaves`, every leaf that requires a gradient also gets the value
    /// added to its `grad`, as `backward()` does.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    static func recordedGradients(
        roots: [(tensor: Tensor<T>, seed: Tensor<T>)], targets: [Tensor<T>],
        accumulateIntoLeaves: Bool = false, shouldStop: (() -> Bool)? = nil,
        deferring: DeferredWeightGradients<T>? = nil, seededBy deferred: DeferredWeightGradients<T>? = nil
    ) throws -> [Tensor<T>?] {
        var targetIndex: [ObjectIdentifier: [Int]] = [:]
        for (i, t) in targets.enumerated() { targetIndex[ObjectIdentifier(t), default: []].append(i) }
        var result = [Tensor<T>?](repeating: nil, count: targets.count)

        func add(_ a: Tensor<T>?, _ b: Tensor<T>) throws(OpError) -> Tensor<T> {
            guard let a else { return b }
            return try Tensor.apply(Add(), [a, b])
        }

        // Post-order over the recorded nodes reachable from the roots, each node's place
        // in it kept in its `backwardSlot` (as `backward()` does: no dictionary to hash
        // into for every input of every node), -2 while on the stack, and reset on the
        // way out.
        var order: [Tensor<T>] = []
        defer { for node in order { node.backwardSlot = -1 } }
        let rootTensors = roots.map(\.tensor) + (deferred?.seeds.map(\.tensor) ?? [])
        for root in rootTensors where root.isRecorded && root.backwardSlot == -1 {
            var stack: [(Tensor<T>, Int)] = [(root, 0)]
            root.backwardSlot = -2
            while let (node, next) = stack.last {
                if next < node.inputCount {
                    stack[stack.count - 1].1 = next + 1
                    let input = node.unaryInput ?? node.inputList[next]
                    if input.isRecorded && input.requiresGrad && input.backwardSlot == -1 {
                        input.backwardSlot = -2
                        stack.append((input, 0))
                    }
                } else {
                    stack.removeLast()
                    node.backwardSlot = order.count
                    order.append(node)
                }
            }
        }
        /// `t`'s place in `order`, if it has one.
        func slot(_ t: Tensor<T>) -> Int? { t.isRecorded && t.backwardSlot >= 0 ? t.backwardSlot : nil }
        // The targets among the nodes, by place.
        var nodeTargets = [[Int]?](repeating: nil, count: order.count)
        for (i, t) in targets.enumerated() {
            if let s = slot(t) { nodeTargets[s] = (nodeTargets[s] ?? []) + [i] }
        }

        // Only what leads to a target is differentiated, as torch's engine does for the
        // inputs of autograd.grad: a node whose inputs reach no target gets no gradient
        // (jvp's second pass, u_x = grad(sum(u), x) in a network whose weights also require
        // gradients). With `accumulateIntoLeaves` every leaf that requires a gradient is a
        // destination, so nothing is left out.
        var leads = [Bool](repeating: accumulateIntoLeaves, count: order.count)
        func leadsToTarget(_ t: Tensor<T>) -> Bool {
            if accumulateIntoLeaves { return true }
            if let s = slot(t) { return leads[s] }
            return targetIndex[ObjectIdentifier(t)] != nil
        }
        if !accumulateIntoLeaves {
            // Post-order: every recorded input of a node comes before it.
            for (s, node) in order.enumerated() {
                leads[s] = nodeTargets[s] != nil
                    || node.inputs.contains { $0.requiresGrad && leadsToTarget($0) }
            }
        }

        var grads = [Tensor<T>?](repeating: nil, count: order.count)
        // A gradient reaching a leaf (or, for a root, the root itself when it is a leaf).
        func reachLeaf(_ leaf: Tensor<T>, _ g: Tensor<T>) throws {
            if let indices = targetIndex[ObjectIdentifier(leaf)] {
                for i in indices { result[i] = try add(result[i], g) }
            }
            if accumulateIntoLeaves && leaf.requiresGrad {
                if var existing = leaf.grad {
                    leaf.grad = nil
                    existing.add(g.value)
                    leaf.grad = existing
                } else {
                    leaf.grad = g.value
                }
            }
        }
        func seed(_ root: Tensor<T>, _ seed: Tensor<T>) throws {
            guard root.requiresGrad else { return }
            if let s = slot(root) {
                guard leads[s] else { return }
                grads[s] = try add(grads[s], seed)
            } else {
                try reachLeaf(root, seed)
            }
        }
        for (root, s) in roots { try seed(root, s) }
        if let deferred {
            for i in deferred.seeds.indices {
                guard let value = deferred.seeds[i].seed.take() else { continue }
                try seed(deferred.seeds[i].tensor, Tensor(value))
            }
        }

        // Where the gradient gathered for `input` is kept, for an `AccumulatingVJP` to add
        // to: a recorded node's slot, or the result of a leaf that is one target (a leaf
        // also accumulated into its `grad`, or a target twice, has no single place).
        func sumPlace(_ input: Tensor<T>) -> SumPlace? {
            if let s = slot(input) { return .slot(s) }
            guard !accumulateIntoLeaves, let indices = targetIndex[ObjectIdentifier(input)], indices.count == 1 else {
                return nil
            }
            return .result(indices[0])
        }
        func withPlace<R>(_ place: SumPlace, _ body: (inout Tensor<T>?) -> R) -> R {
            switch place {
            case .slot(let s): body(&grads[s])
            case .result(let i): body(&result[i])
            }
        }
        // The gradient gathered so far, moved out of its place; nil when there is none, or
        // when its tensor is referenced elsewhere (a caller's seed, a gradient handed to
        // two inputs), which is then left where it was.
        func takeSum(_ place: SumPlace, shape: [Int]) -> NDArray<T>? {
            withPlace(place) { held in
                guard var t = held.take() else { return nil }
                guard !t.isRecorded, !t.requiresGrad, t.shape == shape, isKnownUniquelyReferenced(&t) else {
                    held = t
                    return nil
                }
                var value = NDArray<T>(shape: [0], data: [])
                swap(&value, &t.value)
                return value
            }
        }

        var s = order.count
        while s > 0 {
            s -= 1
            guard let g = grads[s] else { continue }
            if let shouldStop, shouldStop() { throw AutogradError.stopped }
            grads[s] = nil
            let node = order[s]
            if let indices = nodeTargets[s] {
                for i in indices { result[i] = try add(result[i], g) }
            }
            guard let op = node.op else { continue }
            let inputs = node.inputs
            let needs = inputs.map { $0.requiresGrad && leadsToTarget($0) }
            guard needs.contains(true) else { continue }
            guard let dop = op as? any DifferentiableOperator else {
                throw AutogradError.notTwiceDifferentiable(function: opName(op, suffix: "Backward"))
            }
            // Outside a recording, a product adds its input gradients to the ones gathered
            // so far as it computes them (`AccumulatingVJP`): `summed[i]` when it did.
            var summed = [Bool](repeating: false, count: inputs.count)
            let inputGrads: [Tensor<T>?]
            // The list `accumulatingVJP(of:)` keeps by hand agrees with the protocol (debug builds).
            assert((accumulatingVJP(of: op) == nil) == ((op as? any AccumulatingVJP) == nil))
            if !GradMode.isRecording, let accumulating = accumulatingVJP(of: op) {
                let places = inputs.indices.map { i in needs[i] ? sumPlace(inputs[i]) : nil }
                var sums = inputs.indices.map { i in places[i].flatMap { takeSum($0, shape: inputs[i].shape) } }
                let had = sums.map { $0 != nil }
                let values = accumulating.vjp(
                    g.value, inputs: inputs.map(\.value), output: node.value, needs: needs, adding: &sums)
                for i in inputs.indices where had[i] {
                    guard let place = places[i] else { continue }
                    if let sum = sums[i] {
                        withPlace(place) { $0 = Tensor(sum) }  // not added to: back where it was
                        continue
                    }
                    // Added to: the whole gradient so far, of the input's shape, replaces the sum.
                    guard let total = values[i], total.shape == inputs[i].shape else {
                        throw AutogradError.invalidGradient(
                            function: opName(op, suffix: "Backward"), index: i, got: values[i]?.shape ?? [],
                            expected: inputs[i].shape)
                    }
                    withPlace(place) { $0 = Tensor(total) }
                    summed[i] = true
                }
                inputGrads = values.map { $0.map { Tensor($0) } }
            } else if !GradMode.isRecording {
                // Nothing of this pass is recorded: the op's first-order VJP, as `backward()`
                // runs it, computes the same gradients over arrays in one pass where the
                // differentiable one composes ops (softmax's: four, each with its array).
                inputGrads = try arrayVJP(node, op, g.value, needs: needs).map { $0.map { Tensor($0) } }
            } else if let deferring, !accumulateIntoLeaves,
                      deferring.take(op, inputs: inputs, cotangent: g, needs: needs, targets: targetIndex) {
                // The weight's gradient is left to `hvp` (`DeferredWeightGradients`).
                var others = needs
                others[1] = false
                inputGrads = try dop.differentiableVJP(g, inputs: inputs, output: node, needs: others)
            } else {
                inputGrads = try dop.differentiableVJP(g, inputs: inputs, output: node, needs: needs)
            }
            guard inputGrads.count == inputs.count else {
                throw AutogradError.wrongGradientCount(
                    function: opName(op, suffix: "Backward"), got: inputGrads.count, expected: inputs.count)
            }
            for i in 0..<inputs.count where needs[i] {
                guard var gi = inputGrads[i] else { continue }
                let input = inputs[i]
                if summed[i] { continue }  // already in place
                if gi.shape != input.shape {
                    guard Shape.reduces(gi.shape, to: input.shape) else {
                        throw AutogradError.invalidGradient(
                            function: opName(op, suffix: "Backward"), index: i, got: gi.shape, expected: input.shape)
                    }
                    gi = try Tensor.apply(SumTo(shape: input.shape), [gi])
                }
                if let t = slot(input) {
                    grads[t] = try add(grads[t], gi)
                } else {
                    try reachLeaf(input, gi)
                }
            }
        }
        return result
    }

    /// `node`'s input gradients for `g` through its op's first-order VJP, as `backward()`
    /// calls it (in place over `g` for a unary node, with what the forward pass saved),
    /// each checked to hold as many elements as its shape says. The saved arrays are kept:
    /// the graph may be differentiated again.
    private static func arrayVJP(
        _ node: Tensor<T>, _ op: any Operator, _ g: NDArray<T>, needs: [Bool]
    ) throws -> [NDArray<T>?] {
        let grads: [NDArray<T>?]
        if let input = node.unaryInput {
            var g = g
            op.vjp(unary: &g, input: input.value, output: node.value)
            grads = [g]
        } else if let saved = node.saved {
            grads = op.vjp(g, inputs: Tensor.values(of: node.inputList), output: node.value, saved: saved, needs: needs)
        } else {
            grads = op.vjp(g, inputs: Tensor.values(of: node.inputList), output: node.value, needs: needs)
        }
        for (i, gi) in grads.enumerated() where gi.map({ $0.data.count != Shape.count($0.shape) }) ?? false {
            throw AutogradError.invalidGradient(
                function: opName(op, suffix: "Backward"), index: i, got: grads[i]?.shape ?? [],
                expected: i < node.inputCount ? node.inputs[i].shape : [])
        }
        return grads
    }

    /// Reverse-mode differentiation that records the backward pass, as PyTorch's
    /// `backward(create_graph=True)`: adds the gradient's values to every leaf's `grad`,
    /// as `backward()` does, and returns the gradients of `leaves` as recorded tensors
    /// that can be differentiated again. With `createGraph: false` this is `backward()`.
    ///
    /// Throws ``AutogradError/notTwiceDifferentiable(function:)`` when an op on the way
    /// has no differentiable vector-Jacobian product.
    @discardableResult
    public func backward(
        createGraph: Bool, wrt leaves: [Tensor<T>] = [], seed: NDArray<T>? = nil
    ) throws -> [Tensor<T>] {
        guard createGraph else {
            try backward(seed: seed)
            return leaves.map { Tensor($0.gradOrZeros) }
        }
        guard requiresGrad else { throw AutogradError.doesNotRequireGrad }
        let seedTensor = Tensor(try seedValue(seed))
        let g = try Tensor.recordedGradients(
            roots: [(self, seedTensor)], targets: leaves, accumulateIntoLeaves: true)
        return zip(leaves, g).map { $1 ?? Tensor(NDArray(repeating: 0, shape: $0.shape)) }
    }

    func seedValue(_ seed: NDArray<T>?) throws(AutogradError) -> NDArray<T> {
        guard let seed else {
            guard count == 1 else { throw .nonScalarWithoutSeed(shape: shape) }
            return NDArray(repeating: 1, shape: shape)
        }
        guard seed.shape == shape else { throw .seedShapeMismatch(expected: shape, got: seed.shape) }
        return seed
    }
}

/// The gradient of the scalar `f` with respect to each of `wrt` (leaves or intermediate
/// tensors), as `torch.autograd.grad(f, wrt, create_graph=createGraph)`; zeros of a
/// tensor's shape when `f` does not depend on it (torch's `allow_unused` with
/// `materialize_grads`). Nothing is accumulated into any `grad`.
///
/// With `createGraph`, the gradients are recorded tensors: ops applied to them are
/// differentiated through them by a later `backward()` or `grad`, which is how a
/// gradient penalty or a physics-informed loss (u_xx = grad(sum(grad(sum(u), x)), x)) is
/// written. `seed` replaces the implicit 1 for a non-scalar `f`.
///
/// ```swift
/// let x = Tensor<Double>([1, 2], requiresGrad: true)
/// let y = (x * x * x).sum()
/// let dx = try grad(of: y, wrt: [x], createGraph: true)[0]   // 3x²
/// let ddx = try grad(of: dx.sum(), wrt: [x])[0]                 // 6x
/// print(dx.scalars, ddx.scalars)   // [3.0, 12.0] [6.0, 12.0]
/// ```
@_specialize(where T == Float)
@_specialize(where T == Double)
public func grad<T: Scalar>(
    of f: Tensor<T>, wrt: [Tensor<T>], seed: Tensor<T>? = nil, createGraph: Bool = false
) throws -> [Tensor<T>] {
    let seedTensor = try seed ?? Tensor(f.seedValue(nil))
    guard seedTensor.shape == f.shape else {
        throw AutogradError.seedShapeMismatch(expected: f.shape, got: seedTensor.shape)
    }
    // Without `createGraph` nothing of the pass is kept: run unrecorded, each op's
    // first-order VJP computes its gradients over arrays (`recordedGradients`).
    let g = createGraph
        ? try Tensor.recordedGradients(roots: [(f, seedTensor)], targets: wrt)
        : try noGrad { try Tensor.recordedGradients(roots: [(f, seedTensor)], targets: wrt) }
    return zip(wrt, g).map { x, g in
        guard let g else { return Tensor(NDArray(repeating: 0, shape: x.shape)) }
        return createGraph ? g : g.detach()
    }
}

/// The function's value and its Jacobian-vector product at `inputs` in the direction
/// `tangents` (one per input, of its shape), as `torch.autograd.functional.jvp`.
///
/// Computed by the double-backward trick torch uses: the vector-Jacobian product uᵀJ
/// with a free `u` is recorded, and differentiating ⟨uᵀJ, t⟩ with respect to `u` gives Jt.
///
/// ```swift
/// let (y, dy) = try jvp({ $0[0] * $0[0] }, at: [NDArray<Double>(shape: [2], data: [1, 2])],
///                       tangents: [NDArray(shape: [2], data: [1, 0])])
/// print(y.data, dy.data)   // [1.0, 4.0] [2.0, 0.0]
/// ```
public func jvp<T: Scalar>(
    _ f: ([Tensor<T>]) throws -> Tensor<T>, at inputs: [NDArray<T>], tangents: [NDArray<T>]
) throws -> (output: NDArray<T>, tangent: NDArray<T>) {
    let leaves = inputs.map { Tensor($0, requiresGrad: true) }
    let y = try f(leaves)
    let t = try jvp(of: [y], wrt: leaves, tangents: tangents.map { Tensor($0) })
    return (y.value, t[0].value)
}

/// The Jacobian-vector products of `outputs` with respect to `wrt` in the direction
/// `tangents` (a tangent per tensor of `wrt`, of its shape), as recorded tensors when
/// `createGraph`. The building block of `jvp(_:at:tangents:)` and of `/jvp`.
public func jvp<T: Scalar>(
    of outputs: [Tensor<T>], wrt: [Tensor<T>], tangents: [Tensor<T>], createGraph: Bool = false
) throws -> [Tensor<T>] {
    precondition(wrt.count == tangents.count, "jvp: \(wrt.count) tensors but \(tangents.count) tangents")
    for (x, t) in zip(wrt, tangents) where x.shape != t.shape {
        throw AutogradError.seedShapeMismatch(expected: x.shape, got: t.shape)
    }
    // u: a free seed per output; g = uᵀJ, recorded as a function of u.
    let us = outputs.map { Tensor(NDArray<T>(repeating: 0, shape: $0.shape), requiresGrad: true) }
    let g = try Tensor.recordedGradients(roots: Array(zip(outputs, us)).map { ($0, $1) }, targets: wrt)
    // The gradient of ⟨g, t⟩ with respect to each u is J t: g's backward pass seeded with
    // t (the same values as differentiating Σ sum(g * t), without its sum, product and
    // broadcast nodes).
    let roots: [(tensor: Tensor<T>, seed: Tensor<T>)] = zip(g, tangents).compactMap { gi, ti in
        gi.flatMap { $0.requiresGrad ? ($0, ti) : nil }
    }
    guard !roots.isEmpty else {
        return outputs.map { Tensor(NDArray(repeating: 0, shape: $0.shape)) }
    }
    let jt = try Tensor.recordedGradients(roots: roots, targets: us)
    return zip(outputs, jt).map { y, d in
        guard let d else { return Tensor(NDArray(repeating: 0, shape: y.shape)) }
        return createGraph ? d : d.detach()
    }
}

/// The scalar function's value and its Hessian-vector product at `inputs`, as
/// `torch.autograd.functional.hvp`: H·v with H the Hessian over all inputs jointly, one
/// block per input. Computed as the gradient of ⟨∇f, v⟩ (reverse over reverse), without
/// the gradient values the second pass does not read (a `linear` layer's dW): for the
/// gradient as well, `hvp(of:wrt:vectors:createGraph:)`.
///
/// ```swift
/// let (f, hv) = try hvp({ ($0[0] * $0[0] * $0[0]).sum() },
///                       at: [NDArray<Double>(shape: [2], data: [1, 2])],
///                       vectors: [NDArray(shape: [2], data: [1, 1])])   // H = diag(6x)
/// print(f.data, hv[0].data)   // [9.0] [6.0, 12.0]
/// ```
public func hvp<T: Scalar>(
    _ f: ([Tensor<T>]) throws -> Tensor<T>, at inputs: [NDArray<T>], vectors: [NDArray<T>]
) throws -> (output: NDArray<T>, hvp: [NDArray<T>]) {
    precondition(inputs.count == vectors.count, "hvp: \(inputs.count) inputs but \(vectors.count) vectors")
    let leaves = inputs.map { Tensor($0, requiresGrad: true) }
    let y = try f(leaves)
    // Only H·v is answered: the gradients' values are not computed where nothing reads them.
    let (_, hv) = try hessianVectorProducts(
        of: y, wrt: leaves, vectors: vectors.map { Tensor($0) }, keepingGradients: inputs.map { _ in false })
    return (y.value, zip(inputs, hv).map { x, d in d?.value ?? NDArray(repeating: 0, shape: x.shape) })
}

/// The gradient of the scalar `loss` with respect to `wrt` and its Hessian-vector product
/// H·v (H over all of `wrt` jointly, `vectors` one per tensor, of its shape). The building
/// block of `hvp(_:at:vectors:)` and of `/hvp`. The gradient's values are those
/// `backward()` gives.
@_specialize(where T == Float)
@_specialize(where T == Double)
public func hvp<T: Scalar>(
    of loss: Tensor<T>, wrt: [Tensor<T>], vectors: [Tensor<T>], createGraph: Bool = false
) throws -> (gradient: [Tensor<T>], hvp: [Tensor<T>]) {
    precondition(wrt.count == vectors.count, "hvp: \(wrt.count) tensors but \(vectors.count) vectors")
    let (g, hv) = try hessianVectorProducts(of: loss, wrt: wrt, vectors: vectors, createGraph: createGraph)
    // Every gradient is kept and every tensor has a vector, so every block is there; zeros
    // would stand for a missing one.
    func zeros(_ x: Tensor<T>) -> Tensor<T> { Tensor(NDArray<T>(repeating: 0, shape: x.shape)) }
    return (zip(wrt, g).map { x, d in d ?? zeros(x) }, zip(wrt, hv).map { x, d in d ?? zeros(x) })
}

/// `hvp(of:wrt:vectors:createGraph:)` where some tensors of `wrt` have no vector (nil)
/// and some gradients are not wanted: each tensor whose flag in `keepingGradients` is true
/// (all by default) gets its gradient, the others nil (their weight gradients are then
/// not computed where the second pass does not need them, `DeferredWeightGradients`), and
/// H·v is given (H over the tensors with a vector, jointly) for those with one, nil for
/// the others. `/hvp` and `hvp(_:at:vectors:)` answer through it; `shouldStop` is asked
/// between nodes of both passes (``AutogradError/stopped``).
@_specialize(where T == Float)
@_specialize(where T == Double)
package func hessianVectorProducts<T: Scalar>(
    of loss: Tensor<T>, wrt: [Tensor<T>], vectors: [Tensor<T>?], createGraph: Bool = false,
    keepingGradients keep: [Bool]? = nil, shouldStop: (() -> Bool)? = nil
) throws -> (gradient: [Tensor<T>?], hvp: [Tensor<T>?]) {
    precondition(wrt.count == vectors.count, "hvp: \(wrt.count) tensors but \(vectors.count) vectors")
    precondition(keep.map { $0.count == wrt.count } ?? true, "hvp: \(wrt.count) tensors but \(keep?.count ?? 0) flags")
    let keep = keep ?? [Bool](repeating: true, count: wrt.count)
    for (x, v) in zip(wrt, vectors) where v.map({ x.shape != $0.shape }) ?? false {
        throw AutogradError.seedShapeMismatch(expected: x.shape, got: v?.shape ?? [])
    }
    // Zeros only where H·v has no path (allocated lazily: W8's are 670k elements).
    func zeros(_ x: Tensor<T>) -> Tensor<T> { Tensor(NDArray<T>(repeating: 0, shape: x.shape)) }
    // The first pass, recorded. Unless the second is recorded too, weight gradients of
    // linear layers are left out of it (`DeferredWeightGradients`) and handled below.
    let seed = Tensor(try loss.seedValue(nil))
    let deferring = createGraph ? nil : DeferredWeightGradients<T>(vectors: vectors, keepsGradient: keep)
    let first = try Tensor.recordedGradients(
        roots: [(loss, seed)], targets: wrt, shouldStop: shouldStop, deferring: deferring)
    // H·v is the gradient of ⟨g, v⟩: g's backward pass seeded with v (the same values as
    // differentiating Σ sum(g * v), without its sum, product and broadcast nodes).
    let roots: [(tensor: Tensor<T>, seed: Tensor<T>)] = zip(first, vectors).compactMap { gi, vi in
        guard let gi, let vi, gi.requiresGrad else { return nil }
        return (gi, vi)
    }
    // The second pass's targets: the tensors with a vector.
    let withVector = wrt.indices.filter { vectors[$0] != nil }
    var gradients = first
    try deferring?.complete(&gradients, wrt: wrt)
    let g = wrt.indices.map { i in keep[i] ? gradients[i] ?? zeros(wrt[i]) : nil }
    guard !roots.isEmpty || !(deferring?.seeds.isEmpty ?? true) else {
        return (g.map { $0?.detach() }, wrt.indices.map { vectors[$0] == nil ? nil : zeros(wrt[$0]) })
    }
    // Without `createGraph` nothing of the second pass is kept: unrecorded, each cotangent
    // is freed as soon as it is used, and products add into gathered sums (`AccumulatingVJP`).
    let targets = withVector.map { wrt[$0] }
    let second = createGraph
        ? try Tensor.recordedGradients(roots: roots, targets: targets, shouldStop: shouldStop)
        : try noGrad {
            try Tensor.recordedGradients(roots: roots, targets: targets, shouldStop: shouldStop, seededBy: deferring)
        }
    var hv = [Tensor<T>?](repeating: nil, count: wrt.count)
    for (i, d) in zip(withVector, second) {
        hv[i] = d.map { createGraph ? $0 : $0.detach() } ?? zeros(wrt[i])
    }
    return (createGraph ? g : g.map { $0?.detach() }, hv)
}

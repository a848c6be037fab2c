/// Why `backward` cannot run.
public enum AutogradError: Error, Sendable, Equatable {
    /// `backward()` without a seed on a tensor that is not a scalar.
    case nonScalarWithoutSeed(shape: [Int])
    /// The seed's shape differs from the tensor's.
    case seedShapeMismatch(expected: [Int], got: [Int])
    /// `shouldStop` returned true between two nodes; gradients are partial.
    case stopped
    /// An op's `vjp` returned, for input `index`, an array of shape `got` that cannot be
    /// summed down to the input's shape `expected` (or holding the wrong number of
    /// elements). `function` names the op as PyTorch would (`"SwishBackward"`).
    case invalidGradient(function: String, index: Int, got: [Int], expected: [Int])
    /// `backward()` on a tensor that does not require a gradient: nothing it was made
    /// from requires one, so there is nothing to differentiate (PyTorch raises too).
    case doesNotRequireGrad
    /// An op's `vjp` returned `got` gradients for `expected` inputs.
    case wrongGradientCount(function: String, got: Int, expected: Int)
    /// A higher derivative was asked for through an op whose vector-Jacobian product is
    /// not itself differentiable (not a ``DifferentiableOperator``); `function` names it
    /// as PyTorch would (`"MaxPool2dBackward"`).
    case notTwiceDifferentiable(function: String)
}

extension Tensor {
    /// Reverse-mode differentiation from this tensor: adds d(self)/d(leaf), contracted with
    /// `seed` (default 1 for a scalar), into the `grad` of every leaf that requires one.
    ///
    /// The graph is walked iteratively, so chains of any length are safe; gradients of a
    /// tensor used more than once are summed. `shouldStop` is asked before each node's
    /// vector-Jacobian product (a deadline, a cancelled request); when it answers true the
    /// pass ends with `AutogradError.stopped`, leaving the leaves' gradients partial.
    // Specialised for both precisions: called from another module it would otherwise run
    // generically, instantiating metadata on every node (see `Tensor.checkedApply`).
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func backward(seed: NDArray<T>? = nil, shouldStop: (() -> Bool)? = nil) throws(AutogradError) {
        let seed = try resolvedSeed(seed)
        guard requiresGrad else { throw .doesNotRequireGrad }
        if !isRecorded {
            accumulate(seed, into: self)
            return
        }
        let order = topologicalOrder()
        var grads = [NDArray<T>?](repeating: nil, count: order.count)
        grads[order.count - 1] = seed
        defer { for node in order { node.backwardSlot = -1 } }
        // `needs` of one- and two-input nodes, made once: one of these arrays is shared
        // instead of a new one allocated per node.
        let needsOfOne = [[false], [true]]
        let needsOfTwo = [[false, false], [true, false], [false, true], [true, true]]

        // Visit each node after every node that consumes it, so its gradient is complete
        // when its op's vector-Jacobian product sends it on to the inputs.
        var slot = order.count
        while slot > 0 {
            slot -= 1
            guard var g = grads[slot] else { continue }
            if let shouldStop, shouldStop() { throw .stopped }
            grads[slot] = nil  // `g` is now the only reference to its storage
            let node = order[slot]
            if let input = node.unaryInput {
                // An op recorded without arrays: its gradient is computed over `g`.
                guard input.requiresGrad else { continue }
                node.op?.vjp(unary: &g, input: input.value, output: node.value)
                guard g.shape == input.value.shape, g.data.count == input.value.data.count else {
                    throw invalidGradient(node, 0, g)
                }
                deliver(g, to: input, &grads)
                continue
            }
            let inputs = node.inputList
            let needs: [Bool]
            switch inputs.count {
            case 1: needs = needsOfOne[inputs[0].requiresGrad ? 1 : 0]
            case 2: needs = needsOfTwo[(inputs[0].requiresGrad ? 1 : 0) | (inputs[1].requiresGrad ? 2 : 0)]
            // Closures, not key paths: a key path in generic code is instantiated per call.
            default: needs = inputs.map { $0.requiresGrad }
            }
            // Every node in `order` was made by an op; `op?` calls it without copying
            // the existential out of the node.
            let inputGrads: [NDArray<T>?]?
            if let saved = node.saved {
                node.saved = nil  // released as soon as it has been used
                inputGrads = node.op?.vjp(g, inputs: Tensor.values(of: inputs), output: node.value, saved: saved, needs: needs)
            } else {
                inputGrads = node.op?.vjp(g, inputs: Tensor.values(of: inputs), output: node.value, needs: needs)
            }
            guard let inputGrads else { continue }
            guard inputGrads.count == inputs.count else {
                throw .wrongGradientCount(
                    function: backwardName(node), got: inputGrads.count, expected: inputs.count)
            }
            for i in 0..<inputs.count where needs[i] {
                guard var gi = inputGrads[i] else { continue }
                let input = inputs[i]
                // What the op returned is checked before anything reads it: a shape the
                // input broadcasts to, holding as many elements as that shape.
                if gi.shape != input.shape {
                    guard Shape.reduces(gi.shape, to: input.shape), gi.data.count == Shape.count(gi.shape) else {
                        throw invalidGradient(node, i, gi)
                    }
                    gi = gi.sum(to: input.shape)
                } else if gi.data.count != input.value.data.count {
                    throw invalidGradient(node, i, gi)
                }
                deliver(gi, to: input, &grads)
            }
        }
    }

    /// Adds `g` to `input`'s gradient: its `grad` for a leaf, its slot of `grads`
    /// otherwise. (A method rather than a closure over `grads`: a captured variable is
    /// checked for exclusive access on every call.)
    @inline(__always)
    private func deliver(_ g: NDArray<T>, to input: Tensor<T>, _ grads: inout [NDArray<T>?]) {
        if !input.isRecorded {
            accumulate(g, into: input)
        } else {
            let s = input.backwardSlot
            if var existing = grads[s] {
                grads[s] = nil  // leaves `existing` unique, so the sum is in place
                existing.add(g)
                grads[s] = existing
            } else {
                grads[s] = g
            }
        }
    }

    private func invalidGradient(_ node: Tensor<T>, _ index: Int, _ g: NDArray<T>) -> AutogradError {
        .invalidGradient(
            function: backwardName(node), index: index, got: g.shape, expected: node.inputs[index].shape)
    }

    private func backwardName(_ node: Tensor<T>) -> String {
        node.op.map { opName($0, suffix: "Backward") } ?? "Backward"
    }

    private func resolvedSeed(_ seed: NDArray<T>?) throws(AutogradError) -> NDArray<T> {
        guard let seed else {
            guard count == 1 else {
                throw .nonScalarWithoutSeed(shape: shape)
            }
            return NDArray(repeating: 1, shape: shape)
        }
        guard seed.shape == shape else { throw .seedShapeMismatch(expected: shape, got: seed.shape) }
        return seed
    }

    private func accumulate(_ g: NDArray<T>, into leaf: Tensor<T>) {
        if var existing = leaf.grad {
            leaf.grad = nil
            existing.add(g)
            leaf.grad = existing
        } else {
            leaf.grad = g
        }
    }

    /// The non-leaf tensors that require a gradient and reach `self`, each after all of
    /// its inputs (iterative depth-first post-order, inputs in declaration order).
    /// Assigns each its `backwardSlot`; `self` is last.
    private func topologicalOrder() -> [Tensor<T>] {
        var order: [Tensor<T>] = []
        // (node, index of the next input to visit)
        var stack: [(Tensor<T>, Int)] = [(self, 0)]
        backwardSlot = -2  // on the stack
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
        return order
    }
}

extension NDArray {
    /// Adds `other` (of the same shape) element by element, in place when this array's
    /// storage is not shared: accumulating a gradient allocates nothing.
    mutating func add(_ other: NDArray<T>) {
        let n = count
        other.data.withUnsafeBufferPointer { b in
            data.withUnsafeMutableBufferPointer { a in
                for i in 0..<n { a[i] += b[i] }
            }
        }
    }
}

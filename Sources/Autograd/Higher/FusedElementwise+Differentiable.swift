// The differentiable vector-Jacobian product of a fused elementwise chain: the program is
// replayed as the recorded ops its instructions stand for (each computes exactly what its
// op computes), and the replay is differentiated instruction by instruction, in reverse,
// with each op's own `differentiableVJP`. The gradients are then recorded functions of
// the fused op's inputs, so a graph the planner fused differentiates to any order.
//
// Only the replayed program is walked, never the inputs' own history: that is the
// create-graph pass's job, once this op has handed it the inputs' gradients.

extension FusedElementwise: DifferentiableOperator {
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func differentiableVJP<T: Scalar>(
        _ grad: Tensor<T>, inputs x: [Tensor<T>], output: Tensor<T>, needs: [Bool]
    ) throws(OpError) -> [Tensor<T>?] {
        let shape = try elementShape(x.map(\.shape))
        // Forward: registers 0..<inputCount are the inputs; every instruction appends one.
        var registers = x
        var steps: [(op: any DifferentiableOperator, operands: [Int])?] = []
        steps.reserveCapacity(instructions.count + 2)
        for instruction in instructions {
            switch instruction {
            case .unary(let kind, let a):
                let op = try kind.differentiableOp()
                registers.append(try Tensor.checkedApply(op, [registers[a]]))
                steps.append((op, [a]))
            case .binary(let kind, let a, let b):
                let op = kind.differentiableOp
                registers.append(try Tensor.checkedApply(op, [registers[a], registers[b]]))
                steps.append((op, [a, b]))
            case .constant(let c):
                registers.append(Tensor(NDArray(scalar: T(c))))
                steps.append(nil)
            }
        }
        // The last value over the element shape (a one-element value is broadcast), summed
        // when the op sums.
        func append(_ op: any DifferentiableOperator) throws(OpError) {
            let last = registers.count - 1
            registers.append(try Tensor.checkedApply(op, [registers[last]]))
            steps.append((op, [last]))
        }
        if registers[registers.count - 1].shape != shape { try append(BroadcastTo(shape: shape)) }
        if sumsOutput { try append(Sum()) }

        // Backward over the replay.
        var grads = [Tensor<T>?](repeating: nil, count: registers.count)
        grads[registers.count - 1] = grad
        for k in stride(from: steps.count - 1, through: 0, by: -1) {
            let r = inputCount + k
            guard let g = grads[r], let (op, operands) = steps[k].map({ ($0.op, $0.operands) }) else { continue }
            grads[r] = nil
            let args = operands.map { registers[$0] }
            let inputGrads = try op.differentiableVJP(
                g, inputs: args, output: registers[r], needs: args.map(\.requiresGrad))
            for (j, a) in operands.enumerated() where args[j].requiresGrad {
                guard var gj = inputGrads[j] else { continue }
                if gj.shape != args[j].shape { gj = try Tensor.apply(SumTo(shape: args[j].shape), [gj]) }
                grads[a] = try grads[a].map { (s) throws(OpError) in try Tensor.apply(Add(), [s, gj]) } ?? gj
            }
        }
        return (0..<inputCount).map { needs[$0] ? grads[$0] : nil }
    }
}

extension FusedElementwise.Unary {
    /// The op this instruction computes.
    func differentiableOp() throws(OpError) -> any DifferentiableOperator {
        switch self {
        case .neg: return Neg()
        case .exp: return Exp()
        case .log: return Log()
        case .sigmoid: return SigmoidOp()
        case .tanh: return TanhOp()
        case .relu: return ReLUOp()
        case .sqrt: return Sqrt()
        case .abs: return Abs()
        case .softplus: return SoftplusOp()
        case .leakyReLU(let slope): return LeakyReLUOp(negativeSlope: slope)
        case .formula(let f):
            guard let op = f.op as? any DifferentiableOperator else {
                throw .shape("fused_elementwise: \(type(of: f.op).signature.name) has no differentiable vector-Jacobian product")
            }
            return op
        }
    }
}

extension FusedElementwise.Binary {
    /// The op this instruction computes.
    var differentiableOp: any DifferentiableOperator {
        switch self {
        case .add: Add()
        case .sub: Sub()
        case .mul: Mul()
        case .div: Div()
        case .maximum: Maximum()
        case .minimum: Minimum()
        }
    }
}

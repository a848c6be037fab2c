import Foundation
import Testing

@testable import Autograd

/// `FusedElementwise` against the same ops applied one by one: every value and gradient
/// equal to the bit (the fused kernels use each op's own formulas, and a fused sum adds
/// in `sum`'s order), across tile and block boundaries, in both precisions; plus float64
/// finite differences, the trace API, and the fast `exp` behind Double's sigmoid.
@Suite struct FusionTests {
    /// A program over registers: inputs first, then one per step (wire op name, operands).
    struct Program: CustomStringConvertible {
        let inputShapes: [[Int]]
        let steps: [(op: String, operands: [Int])]
        var sums = false
        var description: String {
            steps.map { "\($0.op)\($0.operands)" }.joined(separator: " ") + (sums ? " sum" : "") + " over \(inputShapes)"
        }
    }

    /// Every registered op with a one-operand fused instruction (the one-input
    /// elementwise ops, each declared by its formula, `UnaryElementwise`) that its default
    /// attributes build: a new one is covered here without a line in this file.
    static var unaryOps: [String] {
        Operators.all.map { $0.signature.name }.filter { name in
            guard let op = try? makeOp(name), FusedElementwise.instruction(for: op, operands: [0]) != nil else {
                return false
            }
            return (try? op.outputShape([[2]])) != nil  // not clamp without bounds (MathAPITests fuses clamp)
        }
    }
    static let binaryOps = ["add", "sub", "mul", "div", "maximum", "minimum"]

    /// Every instruction, in a chain where an input feeds two instructions (two gradient
    /// contributions) and the result is (or is not) summed.
    static var programs: [Program] {
        var all: [Program] = []
        for u in unaryOps {
            // y = u(x0 * x1) + x0
            all.append(Program(inputShapes: [[0], [0]], steps: [("mul", [0, 1]), (u, [2]), ("add", [3, 0])]))
            all.append(Program(inputShapes: [[0], [0]], steps: [("sub", [0, 1]), (u, [2])], sums: true))
        }
        for b in binaryOps {
            // y = sigmoid(b(x0, x1)) * x1, and b of an input with itself.
            all.append(Program(inputShapes: [[0], [0]], steps: [(b, [0, 1]), ("sigmoid", [2]), ("mul", [3, 1])]))
            all.append(Program(inputShapes: [[0]], steps: [(b, [0, 0]), ("tanh", [1])], sums: true))
        }
        // One-element inputs broadcast (shape [] and [1]), and an input only one
        // instruction reads.
        all.append(Program(inputShapes: [[0], [], [1]], steps: [("mul", [0, 1]), ("add", [3, 2]), ("exp", [4])], sums: true))
        all.append(Program(inputShapes: [[0], []], steps: [("div", [1, 0]), ("relu", [2])]))
        // Adds whose operands' adjoints are the add's own, read in place (`FusedScratch`'s
        // aliases): one feeding both operands of the next instruction, an input reached
        // through an add first and then again, a sub's first operand.
        all.append(Program(inputShapes: [[0], [0]], steps: [("add", [0, 1]), ("mul", [2, 2]), ("add", [3, 0])]))
        all.append(Program(inputShapes: [[0], [0]], steps: [("sub", [0, 1]), ("add", [2, 2]), ("sub", [3, 1])], sums: true))
        return all
    }

    /// Element counts: none, one tile, across a tile boundary, and past the parallel threshold
    /// (several reduction blocks, split over threads, and `sum`'s blocked order).
    static let sizes = [0, 1, 7, 1030, 70_001]

    /// Values with the special points of every op: zeros of both signs, kinks, ±1000,
    /// negatives for log and sqrt, ties between the two inputs.
    static func values(_ n: Int, seed: UInt64, shape: [Int]) -> NDArray<Double> {
        let specials: [Double] = [0, -0.0, 1, -1, 1000, -1000, 0.5, -2, 20, 21, 1e-300]
        var a = randomArray(shape, in: -3...3, seed: seed)
        for i in 0..<a.count where i % 5 == 0 { a.data[i] = specials[(i / 5) % specials.count] }
        return a
    }

    static func shape(_ s: [Int], _ n: Int) -> [Int] { s == [0] ? [n] : s }

    func fused(_ p: Program, gradientsInForward: Bool = false) throws -> FusedElementwise {
        let instructions = try p.steps.map { step in
            try #require(FusedElementwise.instruction(for: makeOp(step.op), operands: step.operands), "\(step.op)")
        }
        return try FusedElementwise(
            inputCount: p.inputShapes.count, instructions: instructions, sumsOutput: p.sums,
            gradientsInForward: gradientsInForward)
    }

    /// The program run op by op (and its gradients), then fused; `unitSeed`: backward with
    /// the default seed of 1 (a loss), else a random one.
    func both<T: Scalar>(
        _ p: Program, n: Int, _: T.Type, unitSeed: Bool = false, gradientsInForward: Bool = false
    ) throws -> (unfused: [NDArray<T>], fused: [NDArray<T>]) {
        func run(_ makeOutput: ([Tensor<T>]) throws -> Tensor<T>) throws -> [NDArray<T>] {
            let inputs = p.inputShapes.enumerated().map { i, s in
                let v = Self.values(n, seed: UInt64(11 + i), shape: Self.shape(s, n))
                return Tensor(NDArray(shape: v.shape, data: v.data.map { T($0) }), requiresGrad: true)
            }
            let y = try makeOutput(inputs)
            let seed = NDArray(shape: y.shape, data: randomArray(y.shape, in: -1...1, seed: 5).data.map { T($0) })
            try y.backward(seed: unitSeed ? nil : seed)
            return [y.value] + inputs.map(\.gradOrZeros)
        }
        let unfused = try run { inputs in
            var registers = inputs
            for step in p.steps { registers.append(try Tensor.apply(makeOp(step.op), step.operands.map { registers[$0] })) }
            let last = registers[registers.count - 1]
            return p.sums ? try Tensor.apply(Sum(), [last]) : last
        }
        let op = try fused(p, gradientsInForward: gradientsInForward)
        let fusedResults = try run { try Tensor.apply(op, $0) }
        return (unfused, fusedResults)
    }

    /// A summed program marked as a loss computes its gradients in the forward pass, and
    /// backward with the default seed hands them over: the same bits as op by op. With
    /// another seed it runs the backward pass as usual, again the same bits.
    @Test(arguments: programs.indices.filter { programs[$0].sums })
    func lossGradientsFromTheForwardPassEqualOpByOp(index: Int) throws {
        let p = Self.programs[index]
        for n in Self.sizes {
            for unitSeed in [true, false] {
                let d = try both(p, n: n, Double.self, unitSeed: unitSeed, gradientsInForward: true)
                expectIdentical(d.unfused, d.fused, "float64 n=\(n) unit seed \(unitSeed) \(p)")
                let f = try both(p, n: n, Float.self, unitSeed: unitSeed, gradientsInForward: true)
                expectIdentical(f.unfused, f.fused, "float32 n=\(n) unit seed \(unitSeed) \(p)")
            }
        }
    }

    @Test func theSavedGradientsAreKeptUntilBackwardUsesThem() throws {
        let f = try FusedElementwise.trace(inputs: 2, asLoss: true) { x in (x[0] * x[1]).exp().sum() }
        #expect(f.gradientsInForward)
        let a = Tensor<Double>(shape: [3], scalars: [1, 2, 3], requiresGrad: true)
        let b = Tensor<Double>(shape: [3], scalars: [0.5, -1, 0])  // needs no gradient
        let loss = try Tensor.apply(f, [a, b])
        #expect(loss.saved?.count == 2 && loss.saved?[0] != nil && loss.saved?[1] == nil)
        try loss.backward()
        #expect(loss.saved == nil)
        #expect(a.grad?.data == [0.5 * Foundation.exp(0.5), -1 * Foundation.exp(-2), 0])
        #expect(b.grad == nil)
        // A second backward pass recomputes, and accumulates the same values.
        try loss.backward()
        #expect(a.grad?.data == [2 * 0.5 * Foundation.exp(0.5), 2 * -1 * Foundation.exp(-2), 0])
        // Not summed, or not a loss: nothing is saved.
        let g = try FusedElementwise.trace(inputs: 1, asLoss: true) { x in x[0].exp() }
        #expect(!g.gradientsInForward)
        #expect(try Tensor.apply(g, [a]).saved == nil)
        #expect(try Tensor.apply(FusedElementwise.trace(inputs: 1) { x in x[0].exp().sum() }, [a]).saved == nil)
    }

    func expectIdentical<T: Scalar>(_ a: [NDArray<T>], _ b: [NDArray<T>], _ what: String) {
        for (k, (x, y)) in zip(a, b).enumerated() {
            #expect(x.shape == y.shape, "\(what) result \(k): shape")
            guard x.shape == y.shape else { continue }
            if let i = x.data.indices.first(where: { !(x.data[$0] == y.data[$0] || (x.data[$0].isNaN && y.data[$0].isNaN)) }) {
                Issue.record("\(what) result \(k) (0 = output, then input gradients): element \(i): op by op \(x.data[i]), fused \(y.data[i])")
            }
        }
    }

    @Test(arguments: programs.indices)
    func fusedEqualsOpByOpToTheBit(index: Int) throws {
        let p = Self.programs[index]
        for n in Self.sizes {
            let d = try both(p, n: n, Double.self)
            expectIdentical(d.unfused, d.fused, "float64 n=\(n) \(p)")
            let f = try both(p, n: n, Float.self)
            expectIdentical(f.unfused, f.fused, "float32 n=\(n) \(p)")
        }
    }

    @Test(arguments: programs.indices)
    func fusedGradientsPassFiniteDifferences(index: Int) throws {
        let p = Self.programs[index]
        // Away from kinks and poles, where central differences are meaningful.
        let inputs = p.inputShapes.enumerated().map { i, s in
            let a = randomArray(Self.shape(s, 6), in: 0.3...2, seed: UInt64(40 + i))
            return NDArray(shape: a.shape, data: a.data.enumerated().map { j, v in (j + i) % 2 == 0 ? v : -v * 0.7 })
        }
        // log, sqrt, log1p and rsqrt need a positive argument: positive inputs, the first the larger
        // (their products, sums and differences are then positive too).
        let positive = p.steps.contains { ["log", "sqrt", "log1p", "rsqrt"].contains($0.op) }
        try gradcheck(
            try fused(p),
            positive ? inputs.enumerated().map { k, a in NDArray(shape: a.shape, data: a.data.map { $0.magnitude + (k == 0 ? 2.5 : 0) }) } : inputs)
    }

    @Test func aThreeWayFanOutAgreesWithinRounding() throws {
        // x0 feeds three instructions: its contributions are added in another order than
        // the op-by-op pass adds them, so equality is to rounding, not to the bit.
        let p = Program(inputShapes: [[0], [0]], steps: [("mul", [0, 1]), ("add", [2, 0]), ("mul", [3, 0])], sums: true)
        let d = try both(p, n: 1030, Double.self)
        for (x, y) in zip(d.unfused, d.fused) { expectClose(y, x, rtol: 1e-14, atol: 1e-14) }
    }

    // MARK: large eager ops

    /// An eager op on arrays past `Parallel.minimumElements` runs as a one-instruction fused
    /// op over the thread budget (on a one-core machine both sides take the closure loop);
    /// its values and gradients equal those of the same op over small pieces, which take
    /// the op's closure loop, element for element.
    @Test(arguments: unaryOps + binaryOps)
    func largeEagerOpsEqualTheirSmallLoops(name: String) throws {
        let op = try makeOp(name)
        let n = 70_001, piece = 1_000
        let arity = Self.binaryOps.contains(name) ? 2 : 1
        func check<T: Scalar>(_: T.Type, scalarSecond: Bool) {
            let x = (0..<arity).map { i in
                let v = Self.values(n, seed: UInt64(21 + i), shape: i == 1 && scalarSecond ? [] : [n])
                return NDArray(shape: v.shape, data: v.data.map { T($0) })
            }
            let g = NDArray(shape: [n], data: randomArray([n], in: -1...1, seed: 8).data.map { T($0) })
            // The large path is the one taken (unless there is one thread to run it).
            let instruction = FusedElementwise.instruction(for: op, operands: Array(0..<arity))
            #expect(ThreadBudget.threadsPerComputation == 1 || instruction.flatMap { FusedElementwise.large($0, x) } != nil)
            let y = op.forward(x)
            let grads = op.vjp(g, inputs: x, output: y, needs: [Bool](repeating: true, count: arity))
            var pieceY: [T] = [], pieceGrads = [[T]](repeating: [], count: arity)
            for start in stride(from: 0, to: n, by: piece) {
                let end = min(n, start + piece)
                let xs = x.map { $0.count == 1 ? $0 : NDArray(shape: [end - start], data: Array($0.data[start..<end])) }
                let gs = NDArray(shape: [end - start], data: Array(g.data[start..<end]))
                let ys = op.forward(xs)
                pieceY += ys.data
                let dx = op.vjp(gs, inputs: xs, output: ys, needs: [Bool](repeating: true, count: arity))
                for i in 0..<arity { pieceGrads[i] += dx[i]?.broadcast(to: [end - start]).data ?? [] }
            }
            let what = "\(name) \(T.dtype)\(scalarSecond ? " by a scalar" : "")"
            expectIdentical([y], [NDArray(shape: [n], data: pieceY)], what)
            for i in 0..<arity {
                // Gradients in the element shape (the engine sums a scalar's down).
                let full = grads[i].map { $0.count == n ? $0 : $0.broadcast(to: [n]) }
                expectIdentical([full ?? NDArray(shape: [0], data: [])], [NDArray(shape: [n], data: pieceGrads[i])], what + " input \(i)")
            }
        }
        check(Float.self, scalarSecond: false)
        check(Double.self, scalarSecond: false)
        if arity == 2 {
            check(Float.self, scalarSecond: true)
            check(Double.self, scalarSecond: true)
        }
    }

    // MARK: trace

    @Test func traceRecordsTheClosure() throws {
        let f = try FusedElementwise.trace(inputs: 2) { x in (x[0] * x[1] + x[0]).sigmoid().sum() }
        #expect(f.inputCount == 2 && f.sumsOutput)
        #expect(f.instructions == [.binary(.mul, 0, 1), .binary(.add, 2, 0), .unary(.sigmoid, 3)])
        let a = Tensor<Double>(shape: [3], scalars: [-1, 0, 2], requiresGrad: true)
        let b = Tensor<Double>(shape: [3], scalars: [0.5, 3, -1], requiresGrad: true)
        let loss = try Tensor.apply(f, [a, b])
        try loss.backward()
        let a2 = Tensor<Double>(shape: [3], scalars: [-1, 0, 2]), b2 = Tensor<Double>(shape: [3], scalars: [0.5, 3, -1])
        let reference = sigmoid(a2 * b2 + a2).sum()
        #expect(loss.value == reference.value)
        // d/da sigmoid(ab + a) = s(1-s)(b + 1), d/db = s(1-s) a, with s at ab + a.
        let s = [-1.5, 0, 0].map { 1 / (1 + exp(-$0)) }
        let da = (0..<3).map { s[$0] * (1 - s[$0]) * ([0.5, 3, -1][$0] + 1) }
        expectClose(a.grad!, NDArray(shape: [3], data: da), rtol: 1e-15, atol: 1e-15)
        expectClose(b.grad!, NDArray(shape: [3], data: (0..<3).map { s[$0] * (1 - s[$0]) * [-1, 0, 2][$0] }), rtol: 1e-15, atol: 1e-15)
    }

    @Test func traceConstantsBroadcast() throws {
        let f = try FusedElementwise.trace(inputs: 1) { x in x[0] * 1.0001 + 0.0001 }
        let x = Tensor<Double>(shape: [2], scalars: [1, -2], requiresGrad: true)
        let y = try Tensor.apply(f, [x])
        #expect(y.value.data == [1 * 1.0001 + 0.0001, -2 * 1.0001 + 0.0001])
        try y.backward(seed: NDArray(shape: [2], data: [1, 3]))
        #expect(x.grad?.data == [1.0001, 3 * 1.0001])
    }

    @Test func traceRejectsWhatItCannotCompute() {
        #expect(throws: OpError.self) { try FusedElementwise.trace(inputs: 2) { x in x[1] } }
        #expect(throws: OpError.self) { try FusedElementwise.trace(inputs: 1) { x in x[0].exp().sum().log() } }
        let other = try? FusedElementwise.trace(inputs: 1) { x in x[0].exp() }
        #expect(other != nil)
        var leaked: FusedElementwise.Value?
        _ = try? FusedElementwise.trace(inputs: 1) { x in
            leaked = x[0]
            return x[0].exp()
        }
        #expect(throws: OpError.self) {
            try FusedElementwise.trace(inputs: 1) { x in x[0] + leaked! }
        }
        #expect(throws: OpError.self) { try FusedElementwise.trace(inputs: 0) { x in x[0] } }
    }

    @Test func inputsMustHaveTheElementShapeOrOneElement() throws {
        let f = try FusedElementwise.trace(inputs: 2) { x in x[0] + x[1] }
        #expect(try f.outputShape([[3, 4], [3, 4]]) == [3, 4])
        #expect(try f.outputShape([[3, 4], []]) == [3, 4])
        #expect(try f.outputShape([[1], [4]]) == [4])
        #expect(throws: OpError.self) { try f.outputShape([[3, 1], [1, 4]]) }
        #expect(throws: OpError.self) { try f.outputShape([[3, 4]]) }
    }

    // MARK: Double's exp behind sigmoid

    @Test func doubleSigmoidIsWithinTwoUlpOfLibm() {
        var g = SplitMix64(seed: 3)
        var worst = 0.0
        for i in 0..<200_000 {
            let x = i < 100_000 ? Double.random(in: -40...40, using: &g) : Double.random(in: -745...745, using: &g)
            let expected = x >= 0 ? 1 / (1 + Foundation.exp(-x)) : Foundation.exp(x) / (1 + Foundation.exp(x))
            let got = Double.logistic(x)
            guard expected.isNormal else {
                #expect((got - expected).magnitude <= Double.leastNonzeroMagnitude * 4, "x = \(x)")
                continue
            }
            worst = max(worst, (got - expected).magnitude / expected.ulp)
        }
        #expect(worst <= 2, "worst error \(worst) ulp")
        #expect(Double.logistic(0) == 0.5)
        #expect(Double.logistic(-1000) == 0 && Double.logistic(1000) == 1)
        #expect(Double.logistic(-.infinity) == 0 && Double.logistic(.infinity) == 1)
        #expect(Double.logistic(.nan).isNaN)
        // The subnormal range, as libm (not flushed to zero): sigmoid(-720) ≈ e^-720.
        let tiny = Double.logistic(-720)
        #expect(tiny > 0 && !tiny.isNormal && (tiny - Foundation.exp(-720)).magnitude <= Double.leastNonzeroMagnitude * 4)
    }
}

import Autograd
import Testing

/// Checks that run over every row of the op table.
@Suite struct OpTableTests {
    @Test(arguments: opCases)
    func gradientsMatchFiniteDifferences(_ c: OpCase) throws {
        try gradcheck(try makeOp(c.name, c.attrs), c.inputs(), differentiable: c.differentiable)
    }

    @Test(arguments: opCases)
    func zeroUpstreamGradientGivesZero(_ c: OpCase) throws {
        let op = try makeOp(c.name, c.attrs)
        let leaves = c.inputs().enumerated().map { Tensor($1, requiresGrad: c.differentiable[$0]) }
        let y = try Tensor.apply(op, leaves)
        try y.backward(seed: NDArray(repeating: 0, shape: y.shape))
        for (i, leaf) in leaves.enumerated() where c.differentiable[i] {
            #expect(leaf.gradOrZeros.data.allSatisfy { $0 == 0 }, "input \(i)")
            #expect(leaf.gradOrZeros.shape == leaf.shape)
        }
    }

    @Test(arguments: opCases)
    func bitIdenticalOnASecondRun(_ c: OpCase) throws {
        func run() throws -> [[Float]] {
            let op = try makeOp(c.name, c.attrs)
            let leaves = c.inputs().enumerated().map { i, a in
                Tensor(NDArray(shape: a.shape, data: a.data.map(Float.init)), requiresGrad: c.differentiable[i])
            }
            let y = try Tensor.apply(op, leaves)
            let v = randomArray(y.shape, seed: 5)
            try y.backward(seed: NDArray(shape: y.shape, data: v.data.map(Float.init)))
            return [y.scalars] + leaves.map { $0.gradOrZeros.data }
        }
        let first = try run(), second = try run()
        #expect(first.map { $0.map(\.bitPattern) } == second.map { $0.map(\.bitPattern) })
    }

    @Test func everyRegisteredOpHasACase() {
        let covered = Set(opCases.map(\.name))
        for type in Operators.all {
            #expect(covered.contains(type.signature.name), "\(type.signature.name) has no row in opCases")
        }
    }

    @Test func opNamesAreUniqueAndSnakeCase() {
        let names = Operators.all.map { $0.signature.name }
        #expect(Set(names).count == names.count)
        for n in names {
            // Lowercase words, digits inside (log1p, conv2d).
            #expect(n.first?.isLowercase == true && n.allSatisfy { $0.isLowercase || $0.isNumber || $0 == "_" }, "\(n)")
        }
    }
}

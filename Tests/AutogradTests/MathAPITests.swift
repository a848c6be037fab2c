import Testing

@testable import Autograd

/// The Swift API of issue 10's ops of ops-elem (methods and functions give the registered
/// ops' values and gradients), and the new elementwise ops with attributes inside fused
/// programs (equal to op by op to the bit; FusionTests covers those whose defaults build).
@Suite struct MathAPITests {
    @Test func elementwiseMethodsAndFunctions() throws {
        let x = Tensor<Double>(NDArray(shape: [4], data: [-2, -0.5, 0.25, 3]), requiresGrad: true)
        #expect(x.clamp(min: -1, max: 1).scalars == [-1, -0.5, 0.25, 1])
        #expect(clamp(x, max: 0).scalars == [-2, -0.5, 0, 0])
        #expect(x.sign().scalars == [-1, -1, 1, 1])
        #expect(square(x).scalars == [4, 0.25, 0.0625, 9])
        #expect(x.elu(alpha: 2).scalars[3] == 3)
        #expect(x.sin().scalars == x.scalars.map { Foundation.sin($0) })
        let y = x.clamp(min: -1, max: 1).sum()
        try y.backward()
        #expect(x.grad?.data == [0, 1, 1, 0])
    }

    @Test func comparisonsWhereAndReductions() throws {
        let a = Tensor<Float>(NDArray(shape: [2, 3], data: [1, 5, 2, 7, 7, 0]), requiresGrad: true)
        let b = Tensor<Float>(NDArray(shape: [3], data: [1, 4, 3]), requiresGrad: true)
        #expect(a.greater(b).scalars == [0, 1, 0, 1, 1, 0])
        #expect(greaterEqual(a, b).scalars == [1, 1, 0, 1, 1, 0])
        #expect(a.notEqual(b).scalars == [0, 1, 1, 1, 1, 1])
        let w = Tensor.where(a.less(b), a, b)
        #expect(w.scalars == [1, 4, 2, 1, 4, 0])
        #expect(a.argmax(axis: 1).scalars == [1, 0])  // ties: the first
        #expect(a.argmin(axis: 0, keepdims: true).shape == [1, 3])
        #expect(a.cumsum(axis: 1).scalars == [1, 6, 8, 7, 14, 14])
        #expect(a.norm(.infinity, axes: [1]).scalars == [5, 7])
        #expect(a.variance(axes: [1], correction: 0).shape == [2])
        try w.sum().backward()
        #expect(a.grad?.data == [0, 0, 1, 0, 0, 1])
        #expect(b.grad?.data == [2, 2, 0])
        let c = cosineSimilarity(a, a, axis: -1)
        #expect(c.scalars.allSatisfy { abs($0 - 1) < 1e-6 })
    }

    @Test(arguments: [
        ("clamp", ["min": AttributeValue.number(-0.5), "max": .number(0.75)]),
        ("clamp", ["max": .int(1)]),
        ("elu", ["alpha": .number(0.5)]),
    ] as [(String, [String: AttributeValue])])
    func fusedWithAttributesEqualsOpByOp(name: String, attrs: [String: AttributeValue]) throws {
        let op = try makeOp(name, attrs)
        let instruction = try #require(FusedElementwise.instruction(for: op, operands: [2]))
        // y = op(x0 * x1), summed, fused and op by op.
        let fused = try FusedElementwise(
            inputCount: 2, instructions: [.binary(.mul, 0, 1), instruction], sumsOutput: true)
        for n in [7, 1030, 70_001] {
            let x = [randomArray([n], in: -3...3, seed: 3), randomArray([n], in: -3...3, seed: 4)]
            let fusedLeaves = x.map { Tensor($0, requiresGrad: true) }
            let plainLeaves = x.map { Tensor($0, requiresGrad: true) }
            let f = try Tensor.apply(fused, fusedLeaves)
            let p = try Tensor.apply(op, [plainLeaves[0] * plainLeaves[1]]).sum()
            try f.backward()
            try p.backward()
            #expect(f.scalars.map(\.bitPattern) == p.scalars.map(\.bitPattern), "\(name) n=\(n)")
            for i in 0..<2 {
                #expect(fusedLeaves[i].gradOrZeros.data.map(\.bitPattern) == plainLeaves[i].gradOrZeros.data.map(\.bitPattern))
            }
        }
    }
}

import Foundation

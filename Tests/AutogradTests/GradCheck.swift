import Autograd
import Testing

/// The tests' gradient check of one op: the library's `gradcheck` of `Tensor.apply(op, …)`,
/// its worst element recorded as an issue at the caller's line.
func gradcheck(
    _ op: any Operator, _ inputs: [NDArray<Double>], differentiable: [Bool]? = nil, seed: UInt64 = 99,
    eps: Double = 1e-6, atol: Double = 1e-5, rtol: Double = 1e-3,
    sourceLocation: SourceLocation = #_sourceLocation
) throws {
    do {
        try Autograd.gradcheck(
            { try Tensor.apply(op, $0) }, inputs: inputs, differentiable: differentiable,
            eps: eps, atol: atol, rtol: rtol, seed: seed)
    } catch let error as GradcheckError {
        Issue.record("\(type(of: op).signature.name): \(error)", sourceLocation: sourceLocation)
    }
}

/// The public `gradcheck` itself: it passes a right gradient and names a wrong one.
@Suite struct PublicGradcheckTests {
    @Test func aCompositionPasses() throws {
        let x = NDArray<Double>(shape: [3], data: [0.5, -1, 2])
        let result = try Autograd.gradcheck({ tanh($0[0] * $0[0]).sum() }, inputs: [x])
        #expect(result.checkedElements == 3)
        #expect(result.maxAbsoluteError < 1e-8)
    }

    @Test func aWrongGradientIsReportedAtItsWorstElement() throws {
        // DoubledGradient's vjp doubles the true gradient of the identity: of x = [1, 2, 3]
        // with upstream v, the engine says 2v, the differences v; the worst is max |v|.
        let x = NDArray<Double>(shape: [3], data: [1, 2, 3])
        do {
            try Autograd.gradcheck({ try Tensor.apply(DoubledGradient(), $0) }, inputs: [x], seed: 5)
            Issue.record("no error")
        } catch let error as GradcheckError {
            #expect(error.input == 0)
            #expect(abs(error.analytical - 2 * error.numerical) < 1e-8, "\(error)")
            var g = SplitMix64(seed: 5)
            let v = (0..<3).map { _ in Double.random(in: -1...1, using: &g) }
            #expect(error.element == v.indices.max { abs(v[$0]) < abs(v[$1]) })
            #expect(error.description.hasPrefix("Jacobian mismatch for output 0 with respect to input 0, element \(error.element): analytical "))
        }
    }
}

/// Identity forward, but a vjp twice the true one.
private struct DoubledGradient: Operator {
    static let signature = OpSignature(name: "doubled_gradient", arity: .exactly(1), inputs: ["x"], summary: "bad vjp")
    init() {}
    init(attributes: Attributes) {}
    func outputShape(_ inputs: [[Int]]) throws(OpError) -> [Int] { inputs[0] }
    func forward<T: Scalar>(_ inputs: [NDArray<T>]) -> NDArray<T> { inputs[0] }
    func vjp<T: Scalar>(_ grad: NDArray<T>, inputs: [NDArray<T>], output: NDArray<T>, needs: [Bool]) -> [NDArray<T>?] {
        [NDArray(shape: grad.shape, data: grad.data.map { 2 * $0 })]
    }
}

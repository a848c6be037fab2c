import Autograd
import Testing

/// `backward(seed:shouldStop:)`: the cancellation hook the graph service's request
/// timeout uses.
@Suite struct BackwardStopTests {
    private func chain(_ n: Int) -> (Tensor<Double>, Tensor<Double>) {
        let x = Tensor<Double>([1, 2, 3], requiresGrad: true)
        var y = x
        for _ in 0..<n { y = y * 1.5 }
        return (x, y.sum())
    }

    @Test func aHookThatNeverStopsChangesNothing() throws {
        let (x1, l1) = chain(10)
        try l1.backward()
        let (x2, l2) = chain(10)
        var asked = 0
        try l2.backward(shouldStop: { asked += 1; return false })
        #expect(x1.grad == x2.grad)
        #expect(asked == 11)  // once per op node: ten products and the sum
    }

    @Test func theHookStopsThePassBetweenNodes() throws {
        let (x, loss) = chain(1000)
        var asked = 0
        #expect(throws: AutogradError.stopped) {
            try loss.backward(shouldStop: { asked += 1; return asked > 5 })
        }
        #expect(asked == 6)
        #expect(x.grad == nil)  // stopped long before the gradient reached the leaf
        // The graph is reusable afterwards: a full pass still gives the right gradient.
        try loss.backward()
        #expect(x.grad != nil)
    }
}

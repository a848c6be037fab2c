import Autograd
import Testing

/// `noGrad { }` records nothing inside its scope (asked of the results: no op, no
/// gradient required), nests, holds across `await` and in child tasks, and leaves other
/// tasks recording; `detach()` cuts the history as PyTorch's does.
@Suite struct NoGradTests {
    static func product(_ x: Tensor<Double>) -> Tensor<Double> { (x * x).sum() }

    @Test func nothingIsRecordedInsideTheScope() throws {
        let x = Tensor<Double>([1, 2, 3], requiresGrad: true)
        let y = noGrad { Self.product(x) }
        #expect(y.op == nil)
        #expect(!y.requiresGrad)
        #expect(y.scalars == [14])
        // Outside the scope the same expression records again.
        let z = Self.product(x)
        #expect(type(of: z.op!).signature.name == "sum")
        #expect(z.requiresGrad)
        try z.backward()
        #expect(x.grad?.data == [2, 4, 6])
    }

    @Test func scopesNest() {
        let x = Tensor<Double>([1, 2], requiresGrad: true)
        let (inner, afterInner, enabledInside) = noGrad {
            let inner = noGrad { x.exp() }
            // Still inside the outer scope after the inner one ends.
            return (inner, x.exp(), isGradEnabled)
        }
        #expect(inner.op == nil && afterInner.op == nil)
        #expect(!enabledInside)
        #expect(isGradEnabled)
        #expect(x.exp().op != nil)
    }

    @Test func aFusedOpIsNotRecorded() throws {
        let f = try FusedElementwise.trace(inputs: 1, asLoss: true) { x in (x[0] * x[0]).sum() }
        let x = Tensor<Float>([1, 2], requiresGrad: true)
        let y = try noGrad { try Tensor.apply(f, [x]) }
        #expect(y.op == nil && !y.requiresGrad)
        #expect(y.scalars == [5])
    }

    @Test func theScopeHoldsAcrossAwaitAndInChildTasks() async {
        let x = Tensor<Double>([1, 2], requiresGrad: true)
        let recorded: [Bool] = await noGrad {
            await Task.yield()
            let afterAwait = x.exp().op != nil
            let child = await withTaskGroup(of: Bool.self) { group in
                group.addTask { Tensor<Double>([3], requiresGrad: true).exp().op != nil }
                return await group.next() ?? true
            }
            return [afterAwait, child]
        }
        #expect(recorded == [false, false])
        #expect(x.exp().op != nil)
    }

    @Test func otherTasksKeepRecording() async {
        // One child evaluates under noGrad while its sibling, outside any scope, records.
        let results = await withTaskGroup(of: (Int, Bool).self) { group in
            group.addTask {
                await noGrad {
                    await Task.yield()
                    return (0, Tensor<Double>([1], requiresGrad: true).exp().op != nil)
                }
            }
            group.addTask {
                await Task.yield()
                return (1, Tensor<Double>([1], requiresGrad: true).exp().op != nil)
            }
            var out = [false, false]
            for await (i, r) in group { out[i] = r }
            return out
        }
        #expect(results == [false, true])
    }

    @Test func detachSharesValuesAndStopsGradients() throws {
        let x = Tensor<Double>([1, 2, 3], requiresGrad: true)
        let h = x * 2
        let d = h.detach()
        #expect(d.op == nil && d.isLeaf && !d.requiresGrad)
        #expect(d.value == h.value)
        // d/dx sum(detach(2x) * x) = 2x: nothing flows through the detached factor.
        let loss = (d * x).sum()
        try loss.backward()
        #expect(x.grad?.data == [2, 4, 6])
    }
}

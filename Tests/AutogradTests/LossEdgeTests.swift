import Autograd
import Testing

/// The classification losses at the extremes: logits of ±1000, probabilities of exactly
/// 0 and 1, and invalid class indices. Expected values are PyTorch 2.15's, pasted.
@Suite struct LossEdgeTests {
    /// Logits of ±1000 with class indices [0, 2, 1]: each row's loss and the gradient of
    /// their sum.
    static let extremeLogits: [[Double]] = [[1000, -1000, 0], [-1000, 1000, 500], [-1000, -1000, -1000]]
    static let extremeClasses: [Double] = [0, 2, 1]

    /// Runs `loss` with reduction none on `inputs` in `T` and backpropagates ones.
    func lossAndGrads<T: Scalar>(
        _ op: some Operator, _ inputs: [NDArray<Double>], as _: T.Type, needs: [Bool]
    ) throws -> (loss: NDArray<T>, grads: [NDArray<T>]) {
        let leaves = inputs.enumerated().map { i, a in
            Tensor(NDArray(shape: a.shape, data: a.data.map { T($0) }), requiresGrad: needs[i])
        }
        let y = try Tensor.apply(op, leaves)
        try y.backward(seed: NDArray(repeating: 1, shape: y.shape))
        return (y.value, leaves.map(\.gradOrZeros))
    }

    func array<T: Scalar>(_ shape: [Int], _ values: [Double]) -> NDArray<T> {
        NDArray(shape: shape, data: values.map { T($0) })
    }

    // x = torch.tensor([[1000., -1000., 0.], [-1000., 1000., 500.], [-1000., -1000., -1000.]],
    //                  dtype=dt, requires_grad=True)
    // l = F.cross_entropy(x, torch.tensor([0, 2, 1]), reduction='none', label_smoothing=ls)
    // l.sum().backward(); l.tolist(), x.grad.flatten().tolist()
    @Test func crossEntropyAtExtremeLogitsDouble() throws {
        let inputs = [NDArray(Self.extremeLogits), NDArray(Self.extremeClasses)]
        var (loss, grads) = try lossAndGrads(
            CrossEntropy(reduction: .none), inputs, as: Double.self, needs: [true, false])
        expectClose(loss, array([3], [-0.0, 500.0, 1.0986122886681098]), rtol: 1e-12, atol: 1e-12, "loss")
        expectClose(
            grads[0],
            array([3, 3], [0, 0, 0, 0, 1, -1, 0.3333333333333333, -0.6666666666666667, 0.3333333333333333]),
            rtol: 1e-12, atol: 1e-12, "grad")
        (loss, grads) = try lossAndGrads(
            CrossEntropy(reduction: .none, labelSmoothing: 0.1), inputs, as: Double.self, needs: [true, false])
        expectClose(loss, array([3], [100.0, 533.3333333333334, 1.0986122886681098]), rtol: 1e-12, atol: 1e-12)
        expectClose(
            grads[0],
            array([3, 3], [
                0.06666666666666665, -0.03333333333333333, -0.03333333333333333, -0.03333333333333333,
                0.9666666666666667, -0.9333333333333333, 0.3, -0.6000000000000001, 0.3,
            ]), rtol: 1e-12, atol: 1e-12, "grad, smoothed")
    }

    @Test func crossEntropyAtExtremeLogitsFloat() throws {
        let inputs = [NDArray(Self.extremeLogits), NDArray(Self.extremeClasses)]
        var (loss, grads) = try lossAndGrads(
            CrossEntropy(reduction: .none), inputs, as: Float.self, needs: [true, false])
        expectClose(loss, array([3], [-0.0, 500.0, 1.0986123085021973]), rtol: 1e-6, atol: 1e-6, "loss")
        expectClose(
            grads[0],
            array([3, 3], [0, 0, 0, 0, 1, -1, 0.3333333134651184, -0.6666666865348816, 0.3333333134651184]),
            rtol: 1e-6, atol: 1e-6, "grad")
        (loss, grads) = try lossAndGrads(
            CrossEntropy(reduction: .none, labelSmoothing: 0.1), inputs, as: Float.self, needs: [true, false])
        expectClose(loss, array([3], [100.00000762939453, 533.3333129882812, 1.0986123085021973]), rtol: 1e-6, atol: 1e-6)
        expectClose(
            grads[0],
            array([3, 3], [
                0.06666666269302368, -0.03333333507180214, -0.03333333507180214, -0.03333333507180214,
                0.9666666388511658, -0.9333333373069763, 0.29999998211860657, -0.6000000238418579,
                0.29999998211860657,
            ]), rtol: 1e-6, atol: 1e-6, "grad, smoothed")
    }

    // tp = torch.tensor([[0., 1., 0.], [0.5, 0., 0.5], [0.2, 0.3, 0.5]], dtype=dt, requires_grad=True)
    // l = F.cross_entropy(x, tp, reduction='none'); l.sum().backward()
    // l.tolist(), x.grad.flatten().tolist(), tp.grad.flatten().tolist()
    @Test func crossEntropyWithProbabilitiesAtExtremeLogits() throws {
        let inputs = [NDArray(Self.extremeLogits), NDArray([[0, 1, 0], [0.5, 0, 0.5], [0.2, 0.3, 0.5]])]
        let double = try lossAndGrads(CrossEntropy(reduction: .none), inputs, as: Double.self, needs: [true, true])
        expectClose(double.loss, array([3], [2000.0, 1250.0, 1.0986122886681098]), rtol: 1e-12, atol: 1e-12)
        expectClose(
            double.grads[0],
            array([3, 3], [1, -1, 0, -0.5, 1, -0.5, 0.1333333333333333, 0.033333333333333326, -0.16666666666666669]),
            rtol: 1e-12, atol: 1e-12, "logits grad")
        expectClose(
            double.grads[1],
            array([3, 3], [-0.0, 2000, 1000, 2000, -0.0, 500, 1.0986122886681098, 1.0986122886681098, 1.0986122886681098]),
            rtol: 1e-12, atol: 1e-12, "target grad")
        let float = try lossAndGrads(CrossEntropy(reduction: .none), inputs, as: Float.self, needs: [true, true])
        expectClose(float.loss, array([3], [2000.0, 1250.0, 1.0986123085021973]), rtol: 1e-6, atol: 1e-6)
        expectClose(
            float.grads[0],
            array([3, 3], [1, -1, 0, -0.5, 1, -0.5, 0.13333331048488617, 0.03333330154418945, -0.1666666865348816]),
            rtol: 1e-6, atol: 1e-6, "logits grad")
    }

    // z = torch.tensor([1000., -1000., 1000., -1000., 0.], dtype=dt, requires_grad=True)
    // tz = torch.tensor([0., 1., 1., 0., 0.5], dtype=dt, requires_grad=True)
    // l = F.binary_cross_entropy_with_logits(z, tz, reduction='none'); l.sum().backward()
    // l.tolist(), z.grad.tolist(), tz.grad.tolist()
    @Test func binaryCrossEntropyWithLogitsAtExtremes() throws {
        let inputs = [NDArray<Double>([1000, -1000, 1000, -1000, 0]), NDArray<Double>([0, 1, 1, 0, 0.5])]
        let op = BinaryCrossEntropyWithLogits(reduction: .none)
        let double = try lossAndGrads(op, inputs, as: Double.self, needs: [true, true])
        expectClose(double.loss, array([5], [1000, 1000, 0, 0, 0.6931471805599453]), rtol: 1e-12, atol: 1e-12)
        expectClose(double.grads[0], array([5], [1, -1, 0, 0, 0]), rtol: 1e-12, atol: 1e-12, "logits grad")
        expectClose(double.grads[1], array([5], [-1000, 1000, -1000, 1000, -0.0]), rtol: 1e-12, atol: 1e-12)
        let float = try lossAndGrads(op, inputs, as: Float.self, needs: [true, true])
        expectClose(float.loss, array([5], [1000, 1000, 0, 0, 0.6931471824645996]), rtol: 1e-6, atol: 1e-6)
        expectClose(float.grads[0], array([5], [1, -1, 0, 0, 0]), rtol: 1e-6, atol: 1e-6, "logits grad")
        expectClose(float.grads[1], array([5], [-1000, 1000, -1000, 1000, -0.0]), rtol: 1e-6, atol: 1e-6)
    }

    // p = torch.tensor([0., 1., 0.5, 0., 1.], dtype=dt, requires_grad=True)
    // t = torch.tensor([0.3, 0.3, 0.2, 1., 0.], dtype=dt, requires_grad=True)
    // l = F.binary_cross_entropy(p, t, reduction='none'); l.sum().backward()
    // l.tolist(), p.grad.tolist(), t.grad.tolist()
    @Test func binaryCrossEntropyAtZeroAndOne() throws {
        let inputs = [NDArray<Double>([0, 1, 0.5, 0, 1]), NDArray<Double>([0.3, 0.3, 0.2, 1, 0])]
        let op = BinaryCrossEntropy(reduction: .none)
        let double = try lossAndGrads(op, inputs, as: Double.self, needs: [true, true])
        expectClose(double.loss, array([5], [30, 70, 0.6931471805599453, 100, 100]), rtol: 1e-12, atol: 1e-12)
        expectClose(
            double.grads[0],
            array([5], [-300000001198.74084, 700000002797.0619, 1.2, -1000000003995.8029, 1000000003995.8029]),
            rtol: 1e-12, atol: 1e-12, "input grad: (p − t) / max((1 − p)·p, 1e-12)")
        expectClose(double.grads[1], array([5], [.infinity, -.infinity, -0.0, .infinity, -.infinity]),
            rtol: 1e-12, atol: 1e-12, "target grad: −logit(p), unclamped")
        let float = try lossAndGrads(op, inputs, as: Float.self, needs: [true, true])
        expectClose(float.loss, array([5], [30.000001907348633, 70, 0.6931471824645996, 100, 100]), rtol: 1e-6, atol: 1e-6)
        expectClose(
            float.grads[0], array([5], [-300000018432.0, 699999977472.0, 1.2000000476837158, -999999995904.0, 999999995904.0]),
            rtol: 1e-6, atol: 1e-6, "input grad")
        expectClose(float.grads[1], array([5], [.infinity, -.infinity, -0.0, .infinity, -.infinity]),
            rtol: 1e-6, atol: 1e-6, "target grad")
    }

    @Test(arguments: [2.5, -1, 3, .nan])
    func invalidClassIndexIsAnInputError(_ bad: Double) {
        let logits = Tensor<Double>([[1, 2, 3], [4, 5, 6]], requiresGrad: true)
        let target = Tensor<Double>([0, bad])
        #expect {
            _ = try Tensor.apply(CrossEntropy(), [logits, target])
        } throws: { error in
            guard case OpError.input(index: 1, let detail)? = error as? OpError else { return false }
            return detail.contains("position 1")
        }
    }

    @Test func crossEntropyShapeAndAttributeErrors() throws {
        #expect(throws: OpError.self) {
            _ = try Tensor.apply(CrossEntropy(), [Tensor<Double>([[1, 2, 3]]), Tensor<Double>([0, 1])])
        }
        // Logits [N, C, d...] take targets [N, d...] (issue 10); [1, 1, 1] against [1, 2] does not fit.
        #expect(throws: OpError.self) {
            _ = try Tensor.apply(CrossEntropy(), [Tensor<Double>([[[1]]]), Tensor<Double>([[0, 0]])])
        }
        #expect(throws: OpError.attribute(name: "label_smoothing", detail: "must be between 0 and 1, got 1.5")) {
            _ = try makeOp("cross_entropy", ["label_smoothing": .number(1.5)])
        }
        #expect(throws: OpError.self) {
            _ = try Tensor.apply(BinaryCrossEntropy(), [Tensor<Double>([0.5, 0.5]), Tensor<Double>([1])])
        }
        // A single sample: logits [C] with a class index [].
        let y = crossEntropy(Tensor<Double>([0, 0, 0, 0]), Tensor<Double>(2.0))
        #expect(y.shape == [])
        #expect((y.scalars[0] - Double.log(4)).magnitude < 1e-15)
    }

    /// torch's mean divides by N for class indices and probabilities alike.
    // F.cross_entropy(torch.tensor([[1., 2., 3.], [0., 0., 5.]], dtype=torch.float64),
    //                 torch.tensor([2, 0]), label_smoothing=0.2).item()
    @Test func meanDividesByTheBatch() {
        let logits = Tensor<Double>([[1, 2, 3], [0, 0, 5]])
        let y = crossEntropy(logits, Tensor<Double>([2, 0]), labelSmoothing: 0.2)
        #expect((y.scalars[0] - 2.6438292664162484).magnitude < 1e-14)
    }
}

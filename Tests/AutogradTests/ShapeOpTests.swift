@testable import Autograd
import Testing

/// Exact values, tie-breaking, extreme logits and attribute errors of softmax, the max/min
/// reductions, the shape ops and N-D matmul; the op table covers their gradients.
@Suite struct ShapeOpTests {
    // MARK: amax / amin

    @Test func amaxTiesShareTheGradientEqually() throws {
        let x = Tensor<Double>([1, 3, 3], requiresGrad: true)
        let y = x.amax()
        #expect(y.scalars == [3])
        try y.backward(seed: NDArray(scalar: 5))
        #expect(x.grad == NDArray([0, 2.5, 2.5]))
    }

    @Test func aminTiesShareTheGradientPerGroup() throws {
        let x = Tensor<Float>([[1, 3, 1], [4, 4, 4]], requiresGrad: true)
        let y = x.amin(axes: [1], keepdims: true)
        #expect(y.value == NDArray([[1], [4]]))
        try y.backward(seed: NDArray([[2], [3]]))
        #expect(x.grad == NDArray([[1, 0, 1], [1, 1, 1]]))
    }

    @Test func amaxOverSeveralAxes() throws {
        let x = Tensor<Double>(shape: [2, 2, 3], scalars: [1, 9, 2, 0, 4, 8, 7, 3, 5, 6, 2, 1], requiresGrad: true)
        let y = x.amax(axes: [0, -1])
        #expect(y.value == NDArray([9, 8]))
        try y.backward(seed: NDArray([1, 2]))
        #expect(x.gradOrZeros.data == [0, 1, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0])
    }

    // torch.amax(torch.tensor([1., float('nan'), 3.], requires_grad=True)) is nan and
    // its backward gives [nan, nan, nan].
    @Test func amaxPropagatesNaNAsPyTorchDoes() throws {
        let x = Tensor<Double>([1, .nan, 3], requiresGrad: true)
        let y = x.amax()
        #expect(y.scalars[0].isNaN)
        try y.backward()
        #expect(x.gradOrZeros.data.allSatisfy { $0.isNaN })
    }

    @Test func amaxOfAnEmptyAxisIsAShapeError() throws {
        let x = Tensor<Double>(NDArray(repeating: 0, shape: [0, 3]))
        #expect(throws: OpError.self) { try Tensor.apply(Amax(axes: [0]), [x]) }
        #expect(try Tensor.apply(Amax(axes: [1]), [x]).shape == [0])
    }

    // MARK: softmax / log_softmax at extreme logits

    // torch.softmax / torch.log_softmax of x = [[1000., -1000., 0.], [-1000., -999., -1000.]]
    // (dtype=torch.float32), dim=-1 and dim=0; gradients of (f(x) * w).sum() with
    // w = [[1., 2., 3.], [-1., 0.5, 2.]].
    @Test func softmaxAtExtremeLogitsMatchesTorchInFloat() throws {
        let x = Tensor<Float>([[1000, -1000, 0], [-1000, -999, -1000]], requiresGrad: true)
        let w = NDArray<Float>([[1, 2, 3], [-1, 0.5, 2]])
        let tol: Float = 1e-6
        let s = x.softmax()
        expectClose(s.value, NDArray([[1, 0, 0], [0.21194157004356384, 0.5761169195175171, 0.21194157004356384]]),
                    rtol: tol, atol: 0, "softmax dim=-1")
        expectClose(x.softmax(axis: 0).value, NDArray([[1, 0.2689414322376251, 1], [0, 0.7310585975646973, 0]]),
                    rtol: tol, atol: 0, "softmax dim=0")
        try s.backward(seed: w)
        expectClose(x.gradOrZeros, NDArray([[0, 0, 0], [-0.31791234016418457, 0, 0.31791234016418457]]),
                    rtol: tol, atol: tol, "softmax grad")

        x.zeroGrad()
        let l = x.logSoftmax()
        expectClose(l.value, NDArray([[0, -2000, -1000], [-1.55144464969635, -0.5514446496963501, -1.55144464969635]]),
                    rtol: tol, atol: 0, "log_softmax dim=-1")
        expectClose(x.logSoftmax(axis: 0).value,
                    NDArray([[0, -1.31326162815094, 0], [-2000, -0.31326165795326233, -1000]]),
                    rtol: tol, atol: 0, "log_softmax dim=0")
        try l.backward(seed: w)
        expectClose(x.gradOrZeros, NDArray([[-5, 2, 3], [-1.3179123401641846, -0.36417537927627563, 1.6820876598358154]]),
                    rtol: tol, atol: tol, "log_softmax grad")
    }

    // The same expressions with dtype=torch.float64.
    @Test func softmaxAtExtremeLogitsMatchesTorchInDouble() throws {
        let x = Tensor<Double>([[1000, -1000, 0], [-1000, -999, -1000]], requiresGrad: true)
        let w = NDArray<Double>([[1, 2, 3], [-1, 0.5, 2]])
        let tol = 1e-14
        let s = x.softmax(axis: -1)
        expectClose(s.value, NDArray([[1, 0, 0], [0.21194155761708547, 0.5761168847658291, 0.21194155761708547]]),
                    rtol: tol, atol: 0, "softmax dim=-1")
        expectClose(x.softmax(axis: 0).value, NDArray([[1, 0.2689414213699951, 1], [0, 0.7310585786300049, 0]]),
                    rtol: tol, atol: 0, "softmax dim=0")
        try s.backward(seed: w)
        expectClose(x.gradOrZeros, NDArray([[0, 0, 0], [-0.3179123364256282, 0, 0.3179123364256282]]),
                    rtol: tol, atol: tol, "softmax grad")

        x.zeroGrad()
        let l = x.logSoftmax(axis: 1)
        expectClose(l.value, NDArray([[0, -2000, -1000], [-1.551444713932051, -0.5514447139320511, -1.551444713932051]]),
                    rtol: tol, atol: 0, "log_softmax dim=-1")
        expectClose(x.logSoftmax(axis: 0).value,
                    NDArray([[0, -1.3132616875182228, 0], [-2000, -0.31326168751822286, -1000]]),
                    rtol: tol, atol: 0, "log_softmax dim=0")
        try l.backward(seed: w)
        expectClose(x.gradOrZeros, NDArray([[-5, 2, 3], [-1.3179123364256282, -0.3641753271487437, 1.6820876635743718]]),
                    rtol: tol, atol: tol, "log_softmax grad")
    }

    /// Softmax over contiguous rows (the last axis, or one followed only by axes of length 1)
    /// takes its own path (`SoftmaxRows`): it gives the general path's values, which the
    /// same softmax over axis 0 of the transpose takes, forward and backward, with rows of
    /// NaN, ±infinity and a lone element among them.
    func softmaxRowsMatchTheGeneralPath<T: Scalar>(_: T.Type, rtol: T) throws {
        let (rows, c) = (37, 11)
        var values = randomArray([rows, c], in: -30...30, seed: 21).data.map { T($0) }
        values[2 * c + 3] = .nan
        values[5 * c] = .infinity
        values[7 * c + 1] = -.infinity
        for j in 0..<c { values[9 * c + j] = -.infinity }
        let w = NDArray(shape: [rows, c], data: randomArray([rows, c], seed: 22).data.map { T($0) })
        for shape in [[rows, c], [rows, c, 1]] {
            let x = Tensor(NDArray(shape: [rows, c], data: values), requiresGrad: true)
            let y = x.reshaped(shape).softmax(axis: 1)
            try (y.reshaped([rows, c]) * Tensor(w)).sum().backward()
            let xt = Tensor(NDArray(shape: [rows, c], data: values).swappedLastAxes(), requiresGrad: true)
            let yt = xt.softmax(axis: 0)
            try (yt * Tensor(w.swappedLastAxes())).sum().backward()
            expectClose(y.value.reshaped([rows, c]), yt.value.swappedLastAxes(), rtol: rtol, atol: 0, "softmax \(shape)")
            expectClose(x.gradOrZeros, xt.gradOrZeros.swappedLastAxes(), rtol: rtol, atol: rtol, "softmax grad \(shape)")
        }
        let one = Tensor(NDArray<T>(shape: [3, 1], data: [2, .nan, -.infinity]), requiresGrad: true)
        let y1 = one.softmax()
        #expect(y1.value.data[0] == 1 && y1.value.data[1].isNaN && y1.value.data[2].isNaN)
    }

    @Test func softmaxRowsMatchTheGeneralPathInFloat() throws { try softmaxRowsMatchTheGeneralPath(Float.self, rtol: 1e-6) }
    @Test func softmaxRowsMatchTheGeneralPathInDouble() throws { try softmaxRowsMatchTheGeneralPath(Double.self, rtol: 1e-14) }

    @Test func softmaxOfAScalarIsOne() {
        #expect(Tensor<Double>(3).softmax().scalars == [1])
        #expect(Tensor<Double>(3).logSoftmax(axis: 0).scalars == [0])
    }

    // MARK: matmul

    /// `a @ b` for `a` [B0, 1, m, k] and `b` [B1, k, n] by the definition, as the reference.
    private func naiveBatchedMatmul(_ a: NDArray<Double>, _ b: NDArray<Double>) -> NDArray<Double> {
        let (b0, m, k) = (a.shape[0], a.shape[2], a.shape[3])
        let (b1, n) = (b.shape[0], b.shape[2])
        var c = [Double](repeating: 0, count: b0 * b1 * m * n)
        for i0 in 0..<b0 {
            for i1 in 0..<b1 {
                for i in 0..<m {
                    for j in 0..<n {
                        var s = 0.0
                        for p in 0..<k { s += a.data[((i0 * m) + i) * k + p] * b.data[((i1 * k) + p) * n + j] }
                        c[((i0 * b1 + i1) * m + i) * n + j] = s
                    }
                }
            }
        }
        return NDArray(shape: [b0, b1, m, n], data: c)
    }

    /// Swapping the last two axes runs in 32×32 tiles: every element lands where the
    /// definition puts it, at sizes on and off the tile edge, with leading axes and empty
    /// planes, and the gradient is the swap back.
    @Test(arguments: [[1, 1], [3, 5], [32, 32], [33, 70], [2, 3, 37, 45], [0, 4], [4, 0], [2, 0, 3]])
    func swappingTheLastTwoAxesMovesEveryElement(shape: [Int]) throws {
        let n = shape.reduce(1, *)
        let x = Tensor<Double>(shape: shape, scalars: (0..<n).map { Double($0) * 0.5 - 3 }, requiresGrad: true)
        let r = shape.count
        var perm = Array(0..<r)
        perm.swapAt(r - 2, r - 1)
        let y = x.transposed(perm)
        var outShape = shape
        outShape.swapAt(r - 2, r - 1)
        #expect(y.shape == outShape)
        let rows = shape[r - 2], cols = shape[r - 1], plane = rows * cols
        var expected = [Double](repeating: 0, count: n)
        for b in 0..<(plane == 0 ? 0 : n / plane) {
            for i in 0..<rows { for j in 0..<cols { expected[b * plane + j * rows + i] = x.value.data[b * plane + i * cols + j] } }
        }
        #expect(y.value.data == expected)
        let seed = NDArray<Double>(shape: outShape, data: (0..<n).map { Double($0) })
        try y.backward(seed: seed)
        #expect(x.gradOrZeros.data == (0..<n).map { i -> Double in
            guard plane > 0 else { return 0 }
            let b = i / plane, i2 = (i % plane) / cols, j = i % cols
            return Double(b * plane + j * rows + i2)
        })
    }

    @Test func matmulBroadcastsBatchAxes() throws {
        let a = randomArray([2, 1, 3, 4], seed: 11), b = randomArray([5, 4, 2], seed: 12)
        let ta = Tensor(a, requiresGrad: true), tb = Tensor(b, requiresGrad: true)
        let c = ta.matmul(tb)
        #expect(c.shape == [2, 5, 3, 2])
        expectClose(c.value, naiveBatchedMatmul(a, b), rtol: 1e-12, atol: 1e-12, "forward")

        // dA sums G Bᵀ over the broadcast batch axis; dB sums Aᵀ G over the other one.
        let g = randomArray([2, 5, 3, 2], seed: 13)
        try c.backward(seed: g)
        var da = [Double](repeating: 0, count: 2 * 3 * 4)
        var db = [Double](repeating: 0, count: 5 * 4 * 2)
        for i0 in 0..<2 {
            for i1 in 0..<5 {
                for i in 0..<3 {
                    for j in 0..<2 {
                        let gv = g.data[((i0 * 5 + i1) * 3 + i) * 2 + j]
                        for p in 0..<4 {
                            da[(i0 * 3 + i) * 4 + p] += gv * b.data[(i1 * 4 + p) * 2 + j]
                            db[(i1 * 4 + p) * 2 + j] += gv * a.data[(i0 * 3 + i) * 4 + p]
                        }
                    }
                }
            }
        }
        expectClose(ta.gradOrZeros, NDArray(shape: [2, 1, 3, 4], data: da), rtol: 1e-12, atol: 1e-12, "dA")
        expectClose(tb.gradOrZeros, NDArray(shape: [5, 4, 2], data: db), rtol: 1e-12, atol: 1e-12, "dB")
    }

    @Test func matmulOfVectors() throws {
        let v = Tensor<Double>([1, 2, 3]), w = Tensor<Double>([4, 5, 6])
        #expect(v.matmul(w).value == NDArray(scalar: 32))
        let m = Tensor<Double>([[1, 0], [0, 1], [1, 1]])
        #expect(v.matmul(m).value == NDArray([4, 5]))
        #expect(m.transposed().matmul(v).value == NDArray([4, 5]))
        // [3] @ [2, 3, 2]: the vector multiplies each batch matrix, then its axis goes.
        let batch = Tensor<Double>(shape: [2, 3, 2], scalars: (0..<12).map(Double.init))
        #expect(v.matmul(batch).value == NDArray([[16, 22], [52, 58]]))
        #expect(batch.transposed([0, 2, 1]).matmul(v).value == NDArray([[16, 22], [52, 58]]))
    }

    @Test func matmulShapeErrors() {
        let x = Tensor<Double>(NDArray(repeating: 1, shape: [2, 3, 4]))
        let y = Tensor<Double>(NDArray(repeating: 1, shape: [3, 4, 2]))
        #expect(throws: OpError.self) { try Tensor.apply(MatMul(), [x, y]) }
        #expect(throws: OpError.self) { try Tensor.apply(MatMul(), [x, Tensor(NDArray(repeating: 1, shape: [3, 2]))]) }
        #expect(throws: OpError.self) { try Tensor.apply(MatMul(), [Tensor(2), x]) }
    }

    // MARK: transpose, slice, concat, reshape

    @Test func transposeMovesEveryElement() {
        let x = Tensor<Double>(shape: [2, 3, 4], scalars: (0..<24).map(Double.init))
        let y = x.transposed([2, 0, 1])
        #expect(y.shape == [4, 2, 3])
        for i in 0..<4 {
            for j in 0..<2 {
                for k in 0..<3 { #expect(y.scalars[(i * 2 + j) * 3 + k] == Double(j * 12 + k * 4 + i)) }
            }
        }
        #expect(x.transposed().shape == [4, 3, 2])
        #expect(x.transposed([-1, 0, 1]).value == y.value)
        #expect(Tensor<Double>([[1, 2, 3], [4, 5, 6]]).transposed().value == NDArray([[1, 4], [2, 5], [3, 6]]))
    }

    /// Permutations that keep the last axis (rows copied whole, over the threads: attention's
    /// heads) and ones that do not, against the element-by-element definition, with more
    /// rows than one thread's share so both threads copy.
    @Test(arguments: [
        ([8, 128, 4, 64], [0, 2, 1, 3]), ([3, 5, 7, 9], [2, 0, 1, 3]), ([2, 3, 4, 5, 8], [3, 1, 4, 0, 2]),
        ([2, 3, 4, 5, 8], [4, 3, 2, 1, 0]), ([300, 2, 16], [1, 0, 2]), ([2, 3, 4, 5, 8], [1, 0, 3, 2, 4]),
    ])
    func permutationsMoveEveryElement(_ shape: [Int], _ perm: [Int]) {
        let n = shape.reduce(1, *)
        let x = NDArray<Float>(shape: shape, data: (0..<n).map(Float.init))
        let y = x.permuted(perm)
        #expect(y.shape == perm.map { shape[$0] })
        let inStrides = Shape.strides(shape), outStrides = Shape.strides(y.shape)
        var wrong = 0
        for o in 0..<n {
            var rest = o, source = 0
            for a in 0..<perm.count {
                source += (rest / outStrides[a]) * inStrides[perm[a]]
                rest %= outStrides[a]
            }
            if y.data[o] != Float(source) { wrong += 1 }
        }
        #expect(wrong == 0, "\(wrong) of \(n) elements misplaced")
    }

    @Test func transposeGradientIsTheInversePermutation() throws {
        let x = Tensor<Double>(shape: [2, 3, 4], scalars: (0..<24).map(Double.init), requiresGrad: true)
        let y = x.transposed([1, 2, 0])
        try y.backward(seed: y.value)
        #expect(x.grad == x.value)
    }

    @Test func sliceFollowsPython() throws {
        let x = Tensor<Double>([0, 1, 2, 3, 4, 5, 6], requiresGrad: true)
        #expect(x.slice(start: -3).scalars == [4, 5, 6])
        #expect(x.slice(stop: -2).scalars == [0, 1, 2, 3, 4])
        #expect(x.slice(start: -100, stop: 100, step: 3).scalars == [0, 3, 6])
        #expect(x.slice(start: 1, step: 2).scalars == [1, 3, 5])
        #expect(x.slice(start: 5, stop: 2).shape == [0])
        #expect(x.slice(start: 7).shape == [0])
        let m = Tensor<Double>([[1, 2, 3], [4, 5, 6]])
        #expect(m.slice(axis: -1, start: 1).value == NDArray([[2, 3], [5, 6]]))
        #expect(m.slice(axis: 0, start: -1).value == NDArray([[4, 5, 6]]))

        let y = x.slice(start: 1, stop: -1, step: 2)
        try y.backward(seed: NDArray([10, 20, 30]))
        #expect(x.grad == NDArray([0, 10, 0, 20, 0, 30, 0]))
    }

    @Test func concatJoinsAndSplitsGradients() throws {
        let a = Tensor<Double>([[1, 2], [3, 4]], requiresGrad: true)
        let b = Tensor<Double>([[5], [6]], requiresGrad: true)
        let c = Tensor<Double>([[7, 8, 9], [10, 11, 12]], requiresGrad: true)
        let y = concat([a, b, c], axis: -1)
        #expect(y.value == NDArray([[1, 2, 5, 7, 8, 9], [3, 4, 6, 10, 11, 12]]))
        try y.backward(seed: y.value.map { $0 * 10 })
        #expect(a.grad == NDArray([[10, 20], [30, 40]]))
        #expect(b.grad == NDArray([[50], [60]]))
        #expect(c.grad == NDArray([[70, 80, 90], [100, 110, 120]]))
        #expect(concat([a, c.transposed()]).value == NDArray([[1, 2], [3, 4], [7, 10], [8, 11], [9, 12]]))
        #expect(concat([a]).value == a.value)
    }

    @Test func concatShapeErrors() {
        let a = Tensor<Double>([[1, 2]]), b = Tensor<Double>([1, 2])
        #expect(throws: OpError.self) { try Tensor.apply(Concat(), [a, b]) }
        #expect(throws: OpError.self) { try Tensor.apply(Concat(axis: 1), [a, Tensor([[1], [2]])]) }
        #expect(throws: OpError.self) { try Tensor.apply(Concat(), [Tensor<Double>(1), Tensor<Double>(2)]) }
        #expect(throws: OpError.self) { try Tensor.apply(Concat(), [Tensor<Double>]()) }
    }

    @Test func reshapeInfersMinusOne() throws {
        let x = Tensor<Double>(shape: [2, 3, 4], scalars: (0..<24).map(Double.init), requiresGrad: true)
        #expect(x.reshaped([4, -1]).shape == [4, 6])
        #expect(x.reshaped([-1]).shape == [24])
        let y = x.reshaped([3, -1, 2])
        #expect(y.shape == [3, 4, 2])
        #expect(y.scalars == x.scalars)
        try y.backward(seed: y.value)
        #expect(x.grad == x.value)
    }

    // MARK: attribute errors

    /// The name of the attribute `body` rejects, or a description of what it did instead.
    private func rejectedAttribute(_ body: () throws -> Void) -> String {
        do {
            try body()
            return "no error"
        } catch let OpError.attribute(name, _) {
            return name
        } catch {
            return "\(error)"
        }
    }

    private func applied(_ name: String, _ attrs: [String: AttributeValue], _ shapes: [[Int]]) -> () throws -> Void {
        {
            let op = try makeOp(name, attrs)
            _ = try Tensor.apply(op, shapes.map { Tensor(NDArray<Double>(repeating: 1, shape: $0)) })
        }
    }

    @Test func badAttributesNameTheAttribute() {
        #expect(rejectedAttribute(applied("reshape", ["shape": .ints([5, 5])], [[2, 3]])) == "shape")
        #expect(rejectedAttribute(applied("reshape", ["shape": .ints([4, -1])], [[2, 3]])) == "shape")
        #expect(rejectedAttribute(applied("reshape", ["shape": .ints([-1, 3, -1])], [[2, 3]])) == "shape")
        #expect(rejectedAttribute(applied("reshape", ["shape": .ints([-2, -3])], [[2, 3]])) == "shape")
        #expect(rejectedAttribute(applied("reshape", ["shape": .ints([0, -1])], [[0, 3]])) == "shape")
        #expect(rejectedAttribute(applied("reshape", [:], [[2, 3]])) == "shape")
        #expect(rejectedAttribute(applied("transpose", ["perm": .ints([0, 0])], [[2, 3]])) == "perm")
        #expect(rejectedAttribute(applied("transpose", ["perm": .ints([0, 1])], [[2, 3, 4]])) == "perm")
        #expect(rejectedAttribute(applied("transpose", ["perm": .ints([0, 2])], [[2, 3]])) == "perm")
        #expect(rejectedAttribute(applied("transpose", ["perm": .ints([-3, 0])], [[2, 3]])) == "perm")
        #expect(rejectedAttribute(applied("slice", ["step": .int(0)], [[4]])) == "step")
        #expect(rejectedAttribute(applied("slice", ["step": .int(-1)], [[4]])) == "step")
        #expect(rejectedAttribute(applied("slice", ["axis": .int(2)], [[4, 2]])) == "axis")
        #expect(rejectedAttribute(applied("slice", ["axis": .int(0)], [[]])) == "axis")
        #expect(rejectedAttribute(applied("concat", ["axis": .int(-3)], [[4, 2], [4, 2]])) == "axis")
        #expect(rejectedAttribute(applied("softmax", ["axis": .int(2)], [[4, 2]])) == "axis")
        #expect(rejectedAttribute(applied("log_softmax", ["axis": .int(-3)], [[4, 2]])) == "axis")
        #expect(rejectedAttribute(applied("amax", ["axis": .int(2)], [[4, 2]])) == "axis")
        #expect(rejectedAttribute(applied("amin", ["axis": .ints([0, -2])], [[4, 2]])) == "axis")
        // The memberwise initialisers are checked when applied.
        let x = Tensor<Double>([1, 2, 3])
        #expect(rejectedAttribute { _ = try Tensor.apply(SliceOp(step: 0), [x]) } == "step")
        #expect(rejectedAttribute { _ = try Tensor.apply(Reshape(shape: [-1, -1]), [x]) } == "shape")
        #expect(rejectedAttribute { _ = try Tensor.apply(Transpose(perm: [1]), [x]) } == "perm")
    }

    @Test func sliceBoundsAcceptIntOrNull() throws {
        let spec = try #require(SliceOp.signature.attributes.first { $0.name == "start" })
        #expect(spec.type == .optionalInt)
        #expect(spec.type.description == "integer or null")
        #expect(spec.accepts(.null) && spec.accepts(.int(-2)))
        #expect(!spec.accepts(.number(1.5)) && !spec.accepts(.ints([1])))
        let op = try makeOp("slice", ["start": .null, "stop": .int(-1)])
        #expect(try Tensor.apply(op, [Tensor<Double>([1, 2, 3])]).scalars == [1, 2])
    }
}

import Testing

@testable import Autograd

/// A server gives a computation all of the thread budget when it runs alone and a share
/// of it when others run (`ThreadBudget`), so the same request may run its elementwise
/// loops on 1 thread or on all of them: its answer must be the same bytes either way.
@Suite(.serialized) struct ThreadBudgetTests {
    /// Runs `body` with `ThreadBudget.threads` at `threads` and 0, then 2 to 4 other
    /// computations registered as running (restored after): shares of 4, 2, 1 and 1
    /// threads for the default 4. Checks that every run returns the bit
    /// patterns of the first, whose share is all the threads (unless other tests' servers
    /// run computations meanwhile, which only shrinks the shares further).
    func expectSameBitsOnAnyShare(_ what: String, threads: Int = 4, _ body: () throws -> [UInt64]) rethrows {
        let saved = ThreadBudget.threads
        defer { ThreadBudget.threads = saved }
        ThreadBudget.threads = threads
        #expect(BLAS.threads == threads)
        let reference = try body()
        #expect(!reference.isEmpty)
        var registered = 0
        defer { for _ in 0..<registered { ThreadBudget.computationFinished() } }
        ThreadBudget.computationStarted()
        registered += 1
        for others in 2...4 {
            ThreadBudget.computationStarted()
            registered += 1
            #expect(ThreadBudget.threadsPerComputation <= max(1, threads / others))
            #expect(BLAS.threads == threads)
            let bits = try body()
            let firstDifference = reference.indices.first { $0 < bits.count && reference[$0] != bits[$0] }
            #expect(bits.count == reference.count && firstDifference == nil,
                    "\(what): a share of \(ThreadBudget.threadsPerComputation) differs from \(threads) at element \(firstDifference ?? -1)")
        }
    }

    static func bits<T: Scalar>(_ arrays: [NDArray<T>?]) -> [UInt64] {
        arrays.flatMap { $0?.data.map { value -> UInt64 in
            if let f = value as? Float { return UInt64(f.bitPattern) }
            return (value as? Double)?.bitPattern ?? 0
        } ?? [] }
    }

    static func tensor<T: Scalar>(_ shape: [Int], seed: UInt64, requiresGrad: Bool = true) -> Tensor<T> {
        Tensor(NDArray(shape: shape, data: randomArray(shape, in: -1...1, seed: seed).data.map { T($0) }), requiresGrad: requiresGrad)
    }

    /// Products large enough for OpenBLAS to thread, with sizes that leave partial tiles,
    /// forward and backward.
    func products<T: Scalar>(_: T.Type) throws {
        for (m, k, n) in [(128, 784, 512), (257, 301, 199), (33, 1000, 65), (512, 512, 10)] {
            try expectSameBitsOnAnyShare("matmul \(m)×\(k)×\(n) \(T.dtype)") {
                let a: Tensor<T> = Self.tensor([m, k], seed: 1)
                let b: Tensor<T> = Self.tensor([k, n], seed: 2)
                let y = a.matmul(b)
                try tanh(y).sum().backward()
                return Self.bits([y.value, a.grad, b.grad])
            }
        }
    }

    @Test func productsDoNotDependOnTheShare() throws {
        try products(Float.self)
        try products(Double.self)
    }

    /// Convolutions run their samples at once on the share's threads (float32 on oneDNN)
    /// and add the weight gradient's samples in fixed chunks: the same bits on any share.
    @Test func convolutionsDoNotDependOnTheShare() throws {
        try convolution(Float.self)
        try convolution(Double.self)
    }

    func convolution<T: Scalar>(_: T.Type) throws {
        try expectSameBitsOnAnyShare("conv2d \(T.dtype)") {
            let x: Tensor<T> = Self.tensor([9, 8, 12, 12], seed: 5)
            let w: Tensor<T> = Self.tensor([16, 8, 3, 3], seed: 6)
            let b: Tensor<T> = Self.tensor([16], seed: 7)
            let y = try Tensor.apply(try Conv2dOp(padding: .explicit([1])), [x, w, b])
            let w2: Tensor<T> = Self.tensor([4, 16, 3, 3], seed: 8)
            let z = try Tensor.apply(try Conv2dOp(stride: [2]), [tanh(y), w2])
            try z.sum().backward()
            return Self.bits([y.value, z.value, x.grad, w.grad, b.grad, w2.grad])
        }
    }

    /// Sums and means over more elements than one reduction block, and elementwise ops
    /// large enough to be split.
    @Test func reductionsAndElementwiseDoNotDependOnTheShare() throws {
        try expectSameBitsOnAnyShare("reductions float32") {
            let x: Tensor<Float> = Self.tensor([1000, 1531], seed: 3)
            let s = (x * x + x).sum()
            let rows = x.mean(axes: [1])
            let cols = gelu(x).sum(axes: [0])
            try (s + rows.sum() + cols.sum()).backward()
            return Self.bits([s.value, rows.value, cols.value, x.grad])
        }
    }

    /// Softmax over rows, split over the threads when there are many (`SoftmaxRows`).
    @Test func softmaxRowsDoNotDependOnTheShare() throws {
        try expectSameBitsOnAnyShare("softmax rows float32") {
            let x: Tensor<Float> = Self.tensor([4099, 37], seed: 5)
            let y = x.softmax()
            try (y * y).sum().backward()
            return Self.bits([y.value, x.grad])
        }
    }

    /// Three Adam steps of a smaller W9 model: forward, backward and the split update.
    @Test func aTrainingStepDoesNotDependOnTheShare() throws {
        try expectSameBitsOnAnyShare("MLP training") {
            var g = SplitMix64(seed: 9)
            let model = Sequential<Float>(
                Linear(inFeatures: 784, outFeatures: 256, generator: &g), ReLU(),
                Linear(inFeatures: 256, outFeatures: 10, generator: &g))
            let x: Tensor<Float> = Self.tensor([96, 784], seed: 4, requiresGrad: false)
            let y = Tensor(NDArray<Float>(shape: [96], data: (0..<96).map { Float($0 % 10) }))
            let optimizer = Adam(model.parameters, lr: 0.01)
            var losses: [NDArray<Float>] = []
            for _ in 0..<3 {
                optimizer.zeroGrad()
                let loss = crossEntropy(model(x), y)
                try loss.backward()
                optimizer.step()
                losses.append(loss.value)
            }
            return Self.bits(losses + model.parameters.map(\.value))
        }
    }

    /// Computations registered as running share the threads; the last one out gets them back.
    @Test func runningComputationsShareTheThreads() {
        #expect(ThreadBudget.share(threads: 4, running: 0) == 4)
        #expect(ThreadBudget.share(threads: 4, running: 1) == 4)
        #expect(ThreadBudget.share(threads: 4, running: 2) == 2)
        #expect(ThreadBudget.share(threads: 4, running: 3) == 1)
        #expect(ThreadBudget.share(threads: 2, running: 5) == 1)
        let saved = ThreadBudget.threads
        defer { ThreadBudget.threads = saved }
        ThreadBudget.threads = 8
        ThreadBudget.computationStarted()
        ThreadBudget.computationStarted()
        // Other tests' servers may be running computations too: at most half each.
        #expect(ThreadBudget.runningComputations >= 2 && ThreadBudget.threadsPerComputation <= 4)
        #expect(BLAS.threads == 8)
        ThreadBudget.computationFinished()
        ThreadBudget.computationFinished()
        #expect(BLAS.threads == 8)
    }
}

import Autograd
import Testing

/// Issue 22: the non-throwing API's errors can be caught with `withError`, read as
/// sentences, and `backward()` with nothing to differentiate throws.
@Suite struct CatchableErrorTests {
    @Test func withErrorThrowsTheFirstOpErrorOfItsBody() {
        let a = Tensor<Float>([[1, 2, 3], [4, 5, 6]])
        #expect(throws: OpError.shape("matmul: inner dimensions differ: [2, 3] @ [2, 3]")) {
            try withError {
                let bad = a.matmul(a)          // fails: [0] placeholder
                _ = a.reshaped([7])            // fails too; only the first is thrown
                return bad
            }
        }
    }

    @Test func operatorsAndFreeFunctionsAreCaughtToo() throws {
        let a = Tensor<Double>(NDArray([1, 2, 3])), b = Tensor<Double>(NDArray([1, 2]))
        do {
            _ = try withError { a + b }
            Issue.record("no error")
        } catch let error as OpError {
            #expect(error.description.contains("[3]") && error.description.contains("[2]"), "\(error)")
        }
        #expect(throws: OpError.self) { try withError { maximum(a, b) } }
    }

    @Test func itemIndicesAndCreationAreCaughtToo() throws {
        let x = Tensor<Float>([[1, 2, 3], [4, 5, 6]])
        #expect(throws: OpError.shape("a Tensor with 6 elements cannot be converted to Scalar")) {
            try withError { x.item() }
        }
        #expect(throws: OpError.shape("too many indices for tensor of dimension 2 (got 3)")) {
            try withError { x[0, 1, 2] }
        }
        #expect(throws: OpError.shape("an index can only have a single ellipsis ('...')")) {
            try withError { x[.ellipsis, .ellipsis] }
        }
        #expect(throws: OpError.self) { try withError { x[5] } }   // take: index 5 out of range
        #expect(throws: OpError.shape("Trying to create tensor with negative dimension -2: [3, -2]")) {
            try withError { Tensor<Double>.zeros([3, -2]) }
        }
        #expect(throws: OpError.self) { try withError { Tensor<Float>.randn([-1], seed: 1) } }
        // Valid uses inside a scope return their values.
        #expect(try withError { x[1, 2].item() } == 6)
        #expect(try withError { Tensor<Double>.ones([2]).scalars } == [1, 1])
    }

    @Test func aBodyWithoutErrorsReturnsItsValue() throws {
        let x = Tensor<Double>(NDArray([1, 2, 3]), requiresGrad: true)
        let y = try withError { (x * x).sum() }
        try y.backward()
        #expect(x.grad == NDArray([2, 4, 6]))
    }

    @Test func theBodysOwnErrorIsThrownWhenNoOpFailed() {
        let y = Tensor<Double>(NDArray([1, 2]))
        #expect(throws: AutogradError.nonScalarWithoutSeed(shape: [2])) { try withError { try y.backward() } }
    }

    @Test func anAsyncBodyIsCaughtAcrossChildTasks() async {
        let a = Tensor<Float>([[1, 2, 3], [4, 5, 6]]).value
        await #expect(throws: OpError.shape("matmul: inner dimensions differ: [2, 3] @ [2, 3]")) {
            try await withError {
                await withTaskGroup(of: Void.self) { group in
                    group.addTask { _ = Tensor(a).matmul(Tensor(a)) }
                }
            }
        }
    }

    @Test func backwardWithNothingRequiringAGradientThrows() {
        let x = Tensor<Double>(NDArray([1, 2, 3]))
        let loss = (x * x).sum()
        #expect(throws: AutogradError.doesNotRequireGrad) { try loss.backward() }
        #expect("\(AutogradError.doesNotRequireGrad)" == "element 0 of tensors does not require grad and does not have a grad_fn")
        #expect(x.grad == nil)
    }

    @Test func outsideAScopeTheTrapNamesTheCallersFileAndLine() async throws {
        let expectLine = #line + 1
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let a = Tensor<Float>([[1, 2, 3], [4, 5, 6]])
            // The macro moves this body into a function of its own, so the caller's
            // `#line` there is the `#expect` line above (`expectLine`).
            _ = a.reshaped([7])
        }
        let stderr = String(decoding: try #require(result).standardErrorContent, as: UTF8.self)
        #expect(stderr.contains("AutogradTests/CatchableErrorTests.swift:\(expectLine): Fatal error: reshape: invalid argument 'shape': [7] does not fit 6 elements"), "\(stderr)")
        #expect(!stderr.contains("shape(\""), "the enum's spelling leaked: \(stderr)")
    }
}

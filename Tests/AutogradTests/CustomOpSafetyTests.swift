import Autograd
import Foundation
import Testing

/// Issue 22: a custom op that returns the wrong shape is a thrown error naming it, never a
/// write past a buffer (`make test-asan` runs the same ops under the address sanitizer).
@Suite struct CustomOpSafetyTests {
    @Test func eachWrongOpThrowsItsMessage() {
        for outcome in wrongOpOutcomes() {
            #expect(outcome.got == outcome.expected, "\(outcome.case)")
        }
    }

    @Test func aWrongGradientIsATypedErrorWithBothShapes() throws {
        let x = Tensor<Double>(NDArray([1, 2, 3]), requiresGrad: true)
        let y = try Tensor.apply(WrongGradientShape(), [x])
        #expect(throws: AutogradError.invalidGradient(function: "WrongGradientShapeBackward", index: 0, got: [7], expected: [3])) {
            try y.sum().backward()
        }
        #expect(x.grad == nil)
    }

    @Test func aWrongOutputIsAnOpErrorEvenWhenNothingRequiresAGradient() {
        let x = Tensor<Double>(NDArray([1, 2, 3]))
        #expect(throws: OpError.shape("Function WrongOutputShape returned an invalid output - got [7] but its shape rule gives [3]")) {
            try Tensor.apply(WrongOutputShape(), [x])
        }
    }

    @Test func aGradientInTheOutputsBroadcastShapeIsStillSummedDown() throws {
        // The contract every built-in relies on: `b` of [3] gets a [2, 3] gradient back.
        let a = Tensor<Double>(NDArray([[1, 2, 3], [4, 5, 6]]), requiresGrad: true)
        let b = Tensor<Double>(NDArray([1, 1, 1]), requiresGrad: true)
        try (a * b).sum().backward()
        #expect(b.grad == NDArray([5, 7, 9]))
    }

    @Test func theErrorsReadAsSentences() {
        let e: any Error = AutogradError.invalidGradient(function: "SwishBackward", index: 0, got: [7], expected: [3])
        #expect(e.localizedDescription == "Function SwishBackward returned an invalid gradient at index 0 - got [7] but expected shape compatible with [3]")
        #expect("\(OpError.shape("matmul: inner dimensions differ: [2, 3] @ [2, 3]"))" == "matmul: inner dimensions differ: [2, 3] @ [2, 3]")
        #expect("\(OpError.attribute(name: "step", detail: "must be at least 1, got 0"))" == "invalid argument 'step': must be at least 1, got 0")
    }
}

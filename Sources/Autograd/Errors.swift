#if canImport(FoundationEssentials)
import FoundationEssentials  // LocalizedError, without the rest of Foundation
#else
import Foundation
#endif

// The engine's errors as a person reads them: PyTorch's wording where PyTorch has the same
// error, a plain sentence otherwise, never the enum's spelling.

extension AutogradError: CustomStringConvertible, LocalizedError {
    /// The message, worded as PyTorch's where PyTorch raises the same error.
    public var description: String {
        switch self {
        case .nonScalarWithoutSeed(let shape):
            "grad can be implicitly created only for scalar outputs (this tensor has shape \(Shape.describe(shape)); pass a seed)"
        case .seedShapeMismatch(let expected, let got):
            "Mismatch in shape: grad_output[0] has a shape of \(Shape.describe(got)) and output[0] has a shape of \(Shape.describe(expected))"
        case .doesNotRequireGrad:
            "element 0 of tensors does not require grad and does not have a grad_fn"
        case .stopped:
            "the backward pass was stopped before it finished; gradients are partial"
        case .invalidGradient(let function, let index, let got, let expected):
            "Function \(function) returned an invalid gradient at index \(index) - got \(Shape.describe(got)) but expected shape compatible with \(Shape.describe(expected))"
        case .wrongGradientCount(let function, let got, let expected):
            "function \(function) returned an incorrect number of gradients (expected \(expected), got \(got))"
        case .notTwiceDifferentiable(let function):
            "the derivative for '\(function)' is not implemented as a differentiable function: it cannot be differentiated twice"
        }
    }

    /// The same as `description`, for `localizedDescription`.
    public var errorDescription: String? { description }
}

extension OpError: CustomStringConvertible, LocalizedError {
    /// The message: what is wrong with the attribute, the shapes or the input values.
    public var description: String {
        switch self {
        case .attribute(let name, let detail): "invalid argument '\(name)': \(detail)"
        case .shape(let message): message
        case .input(let index, let detail): "input \(index): \(detail)"
        }
    }

    /// The same as `description`, for `localizedDescription`.
    public var errorDescription: String? { description }
}

/// Minimum over axes, as `torch.amin`.
public struct Amin: AxisReduction {
    public static let signature = reductionSignature(
        "amin", "minimum over axes (default all); ties share the gradient equally",
        pytorch: "torch.amin(x, dim=axis, keepdim=keepdims)")

    public let axes: [Int]?
    public let keepdims: Bool

    public init(axes: [Int]? = nil, keepdims: Bool = false) {
        self.axes = axes
        self.keepdims = keepdims
    }

    public func outputShape(_ inputs: [[Int]]) throws(OpError) -> [Int] {
        try ReducedAxes.extremum("amin", try reduced(inputs[0])).outputShape
    }

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func forward<T: Scalar>(_ x: [NDArray<T>]) -> NDArray<T> {
        guard let r = try? reduced(x[0].shape) else { return x[0] }
        return x[0].reducedMin(to: r.keptShape).reshaped(r.outputShape)
    }

    // Elements tied for the extremum share their group's upstream gradient equally.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func vjp<T: Scalar>(
        _ grad: NDArray<T>, inputs x: [NDArray<T>], output: NDArray<T>, needs: [Bool]
    ) -> [NDArray<T>?] {
        guard let r = try? reduced(x[0].shape) else { return [nil] }
        return [extremumGradient(grad, x: x[0], extremum: output, reduced: r)]
    }
}

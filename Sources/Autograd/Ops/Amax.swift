/// Maximum over axes, as `torch.amax`.
public struct Amax: AxisReduction {
    public static let signature = reductionSignature(
        "amax", "maximum over axes (default all); ties share the gradient equally",
        pytorch: "torch.amax(x, dim=axis, keepdim=keepdims)")

    public let axes: [Int]?
    public let keepdims: Bool

    public init(axes: [Int]? = nil, keepdims: Bool = false) {
        self.axes = axes
        self.keepdims = keepdims
    }

    public func outputShape(_ inputs: [[Int]]) throws(OpError) -> [Int] {
        try ReducedAxes.extremum("amax", try reduced(inputs[0])).outputShape
    }

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func forward<T: Scalar>(_ x: [NDArray<T>]) -> NDArray<T> {
        guard let r = try? reduced(x[0].shape) else { return x[0] }
        return x[0].reducedMax(to: r.keptShape).reshaped(r.outputShape)
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

extension ReducedAxes {
    /// The reduction of amax and amin, which, as in PyTorch, have no value for an empty
    /// group: a reduced axis of length 0 is a shape error.
    static func extremum(_ op: String, _ r: ReducedAxes) throws(OpError) -> ReducedAxes {
        if let a = r.axes.first(where: { r.inputShape[$0] == 0 }) {
            throw .shape("\(op): cannot reduce axis \(a) of length 0 in \(Shape.describe(r.inputShape))")
        }
        return r
    }
}

/// The gradient of amax and amin, torch.amax's rule: each element equal to its group's
/// extremum gets `g / (number of such elements)`, the rest 0. A NaN extremum matches no
/// element, so its group gets 0 * (g / 0) = NaN, as in PyTorch.
func extremumGradient<T: Scalar>(
    _ grad: NDArray<T>, x: NDArray<T>, extremum: NDArray<T>, reduced r: ReducedAxes
) -> NDArray<T> {
    let e = extremum.reshaped(r.keptShape)
    let mask = NDArray.broadcast(x, e, to: x.shape) { $0 == $1 ? 1 : 0 }
    let share = grad.reshaped(r.keptShape).zip(mask.sum(to: r.keptShape)) { $0 / $1 }
    return NDArray.broadcast(mask, share, to: x.shape) { $0 * $1 }
}

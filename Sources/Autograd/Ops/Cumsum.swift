/// Running sum along `axis`, as `torch.cumsum(x, dim=axis)`.
public struct Cumsum: Operator {
    public static let signature = OpSignature(
        name: "cumsum", arity: .exactly(1), inputs: ["x"],
        attributes: [AttributeSpec("axis", .int, default: nil, "the axis to sum along, negatives from the end (required)")],
        summary: "running sum along axis; the gradient is the reversed running sum of the upstream gradient",
        pytorch: "torch.cumsum(x, dim=axis)", shapeRule: OpSignature.sameShape)

    /// The axis summed along, negatives counting from the end (0 or −1 for a 0-d input, as torch).
    public let axis: Int

    /// The running sum along `axis`, as `torch.cumsum(x, dim=axis)`.
    public init(axis: Int) { self.axis = axis }
    public init(attributes: Attributes) throws(OpError) { self.init(axis: try attributes.int("axis")) }

    public func outputShape(_ inputs: [[Int]]) throws(OpError) -> [Int] {
        _ = try Shape.resolveAxis(axis, rank: inputs[0].count, scalarAllowed: true)
        return inputs[0]
    }

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func forward<T: Scalar>(_ x: [NDArray<T>]) -> NDArray<T> {
        guard let a = try? Shape.resolveAxis(axis, rank: x[0].rank, scalarAllowed: true) else { return x[0] }
        return x[0].runningSum(along: a, reversed: false)
    }

    // Each input element feeds every later output along the axis: dx is the running sum of
    // g from the end, as torch's cumsum_backward.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func vjp<T: Scalar>(
        _ grad: NDArray<T>, inputs x: [NDArray<T>], output: NDArray<T>, needs: [Bool]
    ) -> [NDArray<T>?] {
        guard let a = try? Shape.resolveAxis(axis, rank: grad.rank, scalarAllowed: true) else { return [nil] }
        return [grad.runningSum(along: a, reversed: true)]
    }
}

extension NDArray {
    /// The running sum along `axis` (a valid axis), from the start or, `reversed`, from the
    /// end; the loop runs over the contiguous inner elements, so it vectorises.
    func runningSum(along axis: Int, reversed: Bool) -> NDArray<T> {
        let (outer, n, inner) = Shape.split(shape, at: axis)
        return data.withUnsafeBufferPointer { src in
            NDArray(shape: shape) { dst in
                guard n > 0 && inner > 0 else { return }
                for o in 0..<outer {
                    let base = o * n * inner
                    for step in 0..<n {
                        let k = reversed ? n - 1 - step : step
                        let row = base + k * inner
                        if step == 0 {
                            for i in 0..<inner { dst[row + i] = src[row + i] }
                        } else {
                            let previous = reversed ? row + inner : row - inner
                            for i in 0..<inner { dst[row + i] = dst[previous + i] + src[row + i] }
                        }
                    }
                }
            }
        }
    }
}

/// The order of elements reversed along the given axes, as `torch.flip` (`axis` null
/// reverses every axis, as `numpy.flip`).
public struct Flip: Operator {
    public static let signature = OpSignature(
        name: "flip", arity: .exactly(1), inputs: ["x"],
        attributes: [
            AttributeSpec("axis", .intOrInts, default: .null, "axis or axes to reverse, negatives from the end; null: all")
        ],
        summary: "elements reversed along axis (an int or a list; null: every axis), as torch.flip")

    public let axes: [Int]?

    public init(axes: [Int]? = nil) { self.axes = axes }

    public init(attributes: Attributes) throws(OpError) {
        self.init(axes: try attributes.axes("axis"))
    }

    private func flipped(rank: Int) throws(OpError) -> [Int] {
        do {
            return try Shape.normalizeAxes(axes, rank: rank)
        } catch {
            throw .attribute(name: "axis", detail: error.text)
        }
    }

    public func outputShape(_ inputs: [[Int]]) throws(OpError) -> [Int] {
        _ = try flipped(rank: inputs[0].count)
        return inputs[0]
    }

    public func forward<T: Scalar>(_ x: [NDArray<T>]) -> NDArray<T> {
        guard let axes = try? flipped(rank: x[0].rank) else { return x[0] }
        return Self.flip(x[0], axes)
    }

    // Flipping is its own inverse: the gradient is the upstream one flipped back.
    public func vjp<T: Scalar>(
        _ grad: NDArray<T>, inputs x: [NDArray<T>], output: NDArray<T>, needs: [Bool]
    ) -> [NDArray<T>?] {
        guard let axes = try? flipped(rank: x[0].rank) else { return [nil] }
        return [Self.flip(grad, axes)]
    }

    /// `a` reversed along `axes` (normalised): rows of the innermost axis are copied
    /// forwards or backwards from a source offset walked like an odometer.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    static func flip<T: Scalar>(_ a: NDArray<T>, _ axes: [Int]) -> NDArray<T> {
        let shape = a.shape, rank = shape.count
        guard rank > 0, !axes.isEmpty, a.count > 0 else { return a }
        var strides = Shape.strides(shape)
        var start = 0
        for ax in axes {
            start += (shape[ax] - 1) * strides[ax]
            strides[ax] = -strides[ax]
        }
        let run = shape[rank - 1], step = strides[rank - 1]
        return a.data.withUnsafeBufferPointer { src in
            NDArray(shape: shape) { dst in
                var index = [Int](repeating: 0, count: rank)
                var s = start, o = 0
                while o < a.count {
                    var k = s
                    for j in 0..<run {
                        dst[o + j] = src[k]
                        k &+= step
                    }
                    o += run
                    var axis = rank - 2
                    while axis >= 0 {
                        index[axis] += 1
                        s += strides[axis]
                        if index[axis] < shape[axis] { break }
                        s -= strides[axis] * shape[axis]
                        index[axis] = 0
                        axis -= 1
                    }
                }
            }
        }
    }
}

/// Length-1 axes removed, as `torch.squeeze`: `axis` null removes every length-1 axis; a
/// named axis whose length is not 1 is kept (a no-op, as torch).
public struct Squeeze: Operator {
    public static let signature = OpSignature(
        name: "squeeze", arity: .exactly(1), inputs: ["x"],
        attributes: [
            AttributeSpec(
                "axis", .intOrInts, default: .null,
                "axis or axes to remove if of length 1, negatives from the end; null: every length-1 axis")
        ],
        summary: "length-1 axes removed (all, or those of axis), as torch.squeeze")

    public let axes: [Int]?

    public init(axes: [Int]? = nil) { self.axes = axes }

    public init(attributes: Attributes) throws(OpError) {
        self.init(axes: try attributes.axes("axis"))
    }

    public func outputShape(_ inputs: [[Int]]) throws(OpError) -> [Int] {
        let shape = inputs[0]
        let named: [Int]
        do {
            named = try Shape.normalizeAxes(axes, rank: shape.count)
        } catch {
            throw .attribute(name: "axis", detail: error.text)
        }
        return shape.indices.filter { !(shape[$0] == 1 && named.contains($0)) }.map { shape[$0] }
    }

    public func forward<T: Scalar>(_ x: [NDArray<T>]) -> NDArray<T> {
        guard let s = try? outputShape([x[0].shape]) else { return x[0] }
        return x[0].reshaped(s)
    }

    // No element moves: the gradient is the upstream one in the input's shape.
    public func vjp<T: Scalar>(
        _ grad: NDArray<T>, inputs x: [NDArray<T>], output: NDArray<T>, needs: [Bool]
    ) -> [NDArray<T>?] {
        [grad.reshaped(x[0].shape)]
    }
}

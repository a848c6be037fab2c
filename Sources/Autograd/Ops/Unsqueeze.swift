/// A length-1 axis inserted at `axis`, as `torch.unsqueeze`; `axis` is in
/// `-(rank + 1)...rank`, negatives counting from the end of the output.
public struct Unsqueeze: Operator {
    public static let signature = OpSignature(
        name: "unsqueeze", arity: .exactly(1), inputs: ["x"],
        attributes: [
            AttributeSpec("axis", .int, default: nil, "where the new axis goes (required), in [-(rank+1), rank]")
        ],
        summary: "a length-1 axis inserted at axis, as torch.unsqueeze")

    public let axis: Int

    public init(axis: Int) { self.axis = axis }

    public init(attributes: Attributes) throws(OpError) {
        guard attributes["axis"] != nil, attributes["axis"] != .null else {
            throw .attribute(name: "axis", detail: "is required")
        }
        self.init(axis: try attributes.int("axis"))
    }

    /// `axis` as a position in the output, for an input of `rank`.
    static func resolve(_ axis: Int, rank: Int) throws(OpError) -> Int {
        guard axis >= -(rank + 1) && axis <= rank else {
            throw .attribute(
                name: "axis", detail: "\(axis) is out of range [\(-(rank + 1)), \(rank)] for a tensor of rank \(rank)")
        }
        return axis < 0 ? axis + rank + 1 : axis
    }

    public func outputShape(_ inputs: [[Int]]) throws(OpError) -> [Int] {
        var shape = inputs[0]
        shape.insert(1, at: try Self.resolve(axis, rank: shape.count))
        return shape
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

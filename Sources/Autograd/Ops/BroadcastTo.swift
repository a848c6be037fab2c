/// The input broadcast to `shape`, as `torch.broadcast_to` (NumPy's rules: new axes in
/// front, length-1 axes stretched; a -1 keeps the input's length, as torch's `expand`).
public struct BroadcastTo: Operator {
    public static let signature = OpSignature(
        name: "broadcast_to", arity: .exactly(1), inputs: ["x"],
        attributes: [
            AttributeSpec(
                "shape", .ints, default: nil,
                "the target shape (required); -1 keeps the input's length on an existing axis")
        ],
        summary: "x broadcast to shape, as torch.broadcast_to; the gradient sums back",
        pytorch: "torch.broadcast_to(x, shape)",
        shapeRule: "shape, with each -1 replaced by x's length on that axis; x must broadcast to it (NumPy rules)",
        notes: "-1 keeps an existing length (torch's expand) and is refused on a new leading axis; the gradient is the upstream gradient summed over the broadcast axes")

    /// The target shape; -1 keeps the input's length on an existing axis.
    public let shape: [Int]

    /// The op broadcasting to `shape`.
    public init(shape: [Int]) { self.shape = shape }

    public init(attributes: Attributes) throws(OpError) {
        guard let shape = try attributes.ints("shape") else { throw .attribute(name: "shape", detail: "is required") }
        self.init(shape: shape)
    }

    public func outputShape(_ inputs: [[Int]]) throws(OpError) -> [Int] {
        let x = inputs[0]
        let lead = shape.count - x.count
        guard lead >= 0 else {
            throw .attribute(
                name: "shape", detail: "\(Shape.describe(shape)) has fewer axes than the input \(Shape.describe(x))")
        }
        var out = shape
        for (i, d) in shape.enumerated() {
            if d == -1 {
                guard i >= lead else {
                    throw .attribute(name: "shape", detail: "-1 is not allowed on a new leading axis (\(i))")
                }
                out[i] = x[i - lead]
            } else if d < 0 {
                throw .attribute(name: "shape", detail: "dimension \(d) is negative")
            } else if i >= lead && x[i - lead] != d && x[i - lead] != 1 {
                throw .shape(
                    "broadcast_to: the input \(Shape.describe(x)) cannot be broadcast to \(Shape.describe(shape)): "
                        + "axis \(i) has length \(x[i - lead]), neither 1 nor \(d)")
            }
        }
        guard Shape.count(out) != nil else {
            throw .attribute(name: "shape", detail: "\(Shape.describe(shape)) has too many elements")
        }
        return out
    }

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func forward<T: Scalar>(_ x: [NDArray<T>]) -> NDArray<T> {
        guard let s = try? outputShape([x[0].shape]) else { return x[0] }
        return x[0].broadcast(to: s)
    }

    // Every copy of an element sends its gradient back to it: the sum over the
    // broadcast axes.
    public func vjp<T: Scalar>(
        _ grad: NDArray<T>, inputs x: [NDArray<T>], output: NDArray<T>, needs: [Bool]
    ) -> [NDArray<T>?] {
        [grad.sum(to: x[0].shape)]
    }
}

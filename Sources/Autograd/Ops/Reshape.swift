/// The same elements in another shape, as `torch.reshape`; one dimension may be -1.
public struct Reshape: Operator {
    public static let signature = OpSignature(
        name: "reshape", arity: .exactly(1), inputs: ["x"],
        attributes: [
            AttributeSpec("shape", .ints, default: nil, "the new shape (required); one -1 is inferred")
        ],
        summary: "the same elements in a new shape of equal element count",
        pytorch: "torch.reshape(x, shape)",
        shapeRule: "shape, its one -1 inferred; it must hold as many elements as x")

    public let shape: [Int]

    public init(shape: [Int]) { self.shape = shape }

    public init(attributes: Attributes) throws(OpError) {
        guard let shape = try attributes.ints("shape") else {
            throw .attribute(name: "shape", detail: "is required")
        }
        self.init(shape: shape)
        _ = try inferredIndex()
    }

    public func outputShape(_ inputs: [[Int]]) throws(OpError) -> [Int] {
        try resolved(count: Shape.count(inputs[0]) ?? 0)
    }

    /// The position of the -1, if any, after checking that there is at most one and no
    /// other negative dimension.
    private func inferredIndex() throws(OpError) -> Int? {
        var inferred: Int?
        for (i, d) in shape.enumerated() where d < 0 {
            guard d == -1 else { throw .attribute(name: "shape", detail: "dimension \(d) is negative") }
            guard inferred == nil else { throw .attribute(name: "shape", detail: "only one dimension can be -1") }
            inferred = i
        }
        return inferred
    }

    /// `shape` with its -1 filled in for an input of `count` elements.
    private func resolved(count: Int) throws(OpError) -> [Int] {
        let inferred = try inferredIndex()
        var out = shape
        if let i = inferred { out[i] = 1 }
        guard let known = Shape.count(out) else {
            throw .attribute(name: "shape", detail: "\(Shape.describe(shape)) has too many elements")
        }
        if let i = inferred {
            guard known != 0 else {
                throw .attribute(
                    name: "shape",
                    detail: "-1 is ambiguous in \(Shape.describe(shape)) for \(count) elements")
            }
            out[i] = count / known
        }
        guard Shape.count(out) == count else {
            throw .attribute(
                name: "shape", detail: "\(Shape.describe(shape)) does not fit \(count) elements")
        }
        return out
    }

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func forward<T: Scalar>(_ x: [NDArray<T>]) -> NDArray<T> {
        guard let s = try? resolved(count: x[0].count) else { return x[0] }
        return x[0].reshaped(s)
    }

    // Reshaping moves no element, so the gradient is the upstream one in the input's shape.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func vjp<T: Scalar>(
        _ grad: NDArray<T>, inputs x: [NDArray<T>], output: NDArray<T>, needs: [Bool]
    ) -> [NDArray<T>?] {
        [grad.reshaped(x[0].shape)]
    }
}

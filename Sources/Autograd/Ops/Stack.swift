/// Inputs of one shape joined along a new axis, as `torch.stack`; `axis` is in
/// `-(rank + 1)...rank`.
public struct Stack: Operator {
    public static let signature = OpSignature(
        name: "stack", arity: .atLeast(1), inputs: ["x..."],
        attributes: [
            AttributeSpec("axis", .int, default: .int(0), "where the new axis goes, in [-(rank+1), rank]")
        ],
        summary: "inputs of equal shape joined along a new axis (default 0), as torch.stack")

    public let axis: Int

    public init(axis: Int = 0) { self.axis = axis }

    public init(attributes: Attributes) throws(OpError) {
        self.init(axis: try attributes.int("axis"))
    }

    public func outputShape(_ inputs: [[Int]]) throws(OpError) -> [Int] {
        let first = inputs[0]
        for (i, s) in inputs.enumerated().dropFirst() where s != first {
            throw .shape(
                "stack: input \(i) has shape \(Shape.describe(s)), input 0 has \(Shape.describe(first)); they must be equal")
        }
        var out = first
        out.insert(inputs.count, at: try Unsqueeze.resolve(axis, rank: first.count))
        guard Shape.count(out) != nil else { throw .shape("stack: the result has too many elements") }
        return out
    }

    /// Elements before the new axis (`outer`) and the length of each input's slab after it.
    private func split(_ shape: [Int]) -> (outer: Int, inner: Int)? {
        guard let a = try? Unsqueeze.resolve(axis, rank: shape.count) else { return nil }
        return (shape[..<a].reduce(1, *), shape[a...].reduce(1, *))
    }

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func forward<T: Scalar>(_ x: [NDArray<T>]) -> NDArray<T> {
        guard let shape = try? outputShape(x.map(\.shape)), let (outer, inner) = split(x[0].shape) else { return x[0] }
        let k = x.count
        return NDArray(shape: shape) { dst in
            guard let out = dst.baseAddress, inner > 0 else { return }
            for (j, input) in x.enumerated() {
                input.data.withUnsafeBufferPointer { src in
                    guard let src = src.baseAddress else { return }
                    for o in 0..<outer {
                        (out + (o * k + j) * inner).initialize(from: src + o * inner, count: inner)
                    }
                }
            }
        }
    }

    // Each input's gradient is its own slab of the upstream gradient.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func vjp<T: Scalar>(
        _ grad: NDArray<T>, inputs x: [NDArray<T>], output: NDArray<T>, needs: [Bool]
    ) -> [NDArray<T>?] {
        guard let (outer, inner) = split(x[0].shape) else { return x.map { _ in nil } }
        let k = x.count
        return grad.data.withUnsafeBufferPointer { src in
            x.indices.map { j -> NDArray<T>? in
                guard needs[j] else { return nil }
                return NDArray(shape: x[j].shape) { dst in
                    guard let out = dst.baseAddress, let src = src.baseAddress, inner > 0 else { return }
                    for o in 0..<outer {
                        (out + o * inner).initialize(from: src + (o * k + j) * inner, count: inner)
                    }
                }
            }
        }
    }
}

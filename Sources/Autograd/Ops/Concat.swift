/// Inputs joined along an existing axis, as `torch.cat`.
public struct Concat: Operator {
    public static let signature = OpSignature(
        name: "concat", arity: .atLeast(1), inputs: ["x..."],
        attributes: [AttributeSpec("axis", .int, default: .int(0), "the axis to join along, negatives from the end")],
        summary: "inputs of equal rank joined along axis (default 0); other dimensions must match",
        pytorch: "torch.cat(inputs, dim=axis)",
        shapeRule: "the inputs' common shape with their lengths along axis added; they must agree in rank and every other dimension")

    public let axis: Int

    public init(axis: Int = 0) { self.axis = axis }

    public init(attributes: Attributes) throws(OpError) {
        self.init(axis: try attributes.int("axis"))
    }

    public func outputShape(_ inputs: [[Int]]) throws(OpError) -> [Int] {
        let first = inputs[0]
        guard !first.isEmpty else { throw .shape("concat: rank-0 inputs cannot be joined") }
        let a = try Shape.resolveAxis(axis, rank: first.count)
        var out = first
        for (i, s) in inputs.enumerated().dropFirst() {
            guard s.count == first.count,
                s.indices.allSatisfy({ $0 == a || s[$0] == first[$0] })
            else {
                throw .shape(
                    "concat: input \(i) has shape \(Shape.describe(s)), which differs from input 0's "
                        + "\(Shape.describe(first)) outside axis \(a)")
            }
            let (joined, overflow) = out[a].addingReportingOverflow(s[a])
            guard !overflow else { throw .shape("concat: the joined axis \(a) is longer than Int.max") }
            out[a] = joined
        }
        return out
    }

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func forward<T: Scalar>(_ x: [NDArray<T>]) -> NDArray<T> {
        guard let shape = try? outputShape(x.map(\.shape)), let a = try? Shape.resolveAxis(axis, rank: shape.count)
        else { return x[0] }
        let (outer, n, inner) = Shape.split(shape, at: a)
        let row = n * inner
        return NDArray(shape: shape) { dst in
            guard let out = dst.baseAddress else { return }
            var offset = 0
            for input in x {
                let chunk = input.shape[a] * inner
                input.data.withUnsafeBufferPointer { src in
                    guard chunk > 0, let src = src.baseAddress else { return }
                    for o in 0..<outer {
                        (out + o * row + offset).initialize(from: src + o * chunk, count: chunk)
                    }
                }
                offset += chunk
            }
        }
    }

    // Each input's gradient is its own slab of the upstream gradient.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func vjp<T: Scalar>(
        _ grad: NDArray<T>, inputs x: [NDArray<T>], output: NDArray<T>, needs: [Bool]
    ) -> [NDArray<T>?] {
        guard let a = try? Shape.resolveAxis(axis, rank: grad.rank) else { return x.map { _ in nil } }
        let (outer, n, inner) = Shape.split(grad.shape, at: a)
        let row = n * inner
        var offset = 0
        var result: [NDArray<T>?] = []
        for (i, input) in x.enumerated() {
            let chunk = input.shape[a] * inner
            if needs[i] {
                let start = offset
                result.append(
                    grad.data.withUnsafeBufferPointer { src in
                        NDArray(shape: input.shape) { dst in
                            guard chunk > 0, let src = src.baseAddress, let out = dst.baseAddress else { return }
                            for o in 0..<outer {
                                (out + o * chunk).initialize(from: src + o * row + start, count: chunk)
                            }
                        }
                    })
            } else {
                result.append(nil)
            }
            offset += chunk
        }
        return result
    }
}

/// Axes reordered, as `numpy.transpose`: output axis `i` is input axis `perm[i]`.
public struct Transpose: Operator {
    public static let signature = OpSignature(
        name: "transpose", arity: .exactly(1), inputs: ["x"],
        attributes: [
            AttributeSpec(
                "perm", .ints, default: .null,
                "a permutation of the axes, negatives from the end; default reverses them")
        ],
        summary: "axes permuted (default reversed), as numpy.transpose",
        pytorch: "torch.permute(x, perm)",
        shapeRule: "x's axes in the order perm lists them (reversed by default)")

    public let perm: [Int]?

    public init(perm: [Int]? = nil) { self.perm = perm }

    public init(attributes: Attributes) throws(OpError) {
        self.init(perm: try attributes.ints("perm"))
    }

    public func outputShape(_ inputs: [[Int]]) throws(OpError) -> [Int] {
        let p = try resolved(rank: inputs[0].count)
        return p.map { inputs[0][$0] }
    }

    /// `perm` normalised to non-negative axes, or the reversed axes when absent.
    private func resolved(rank: Int) throws(OpError) -> [Int] {
        guard let perm else { return Array((0..<rank).reversed()) }
        guard perm.count == rank else {
            throw .attribute(
                name: "perm", detail: "\(Shape.describe(perm)) has \(perm.count) axes, the tensor has rank \(rank)")
        }
        var seen = [Bool](repeating: false, count: rank)
        var out: [Int] = []
        for p in perm {
            guard p >= -rank && p < rank else {
                throw .attribute(name: "perm", detail: "axis \(p) is out of range for a tensor of rank \(rank)")
            }
            let a = p < 0 ? p + rank : p
            guard !seen[a] else { throw .attribute(name: "perm", detail: "axis \(p) is repeated") }
            seen[a] = true
            out.append(a)
        }
        return out
    }

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func forward<T: Scalar>(_ x: [NDArray<T>]) -> NDArray<T> {
        guard let p = try? resolved(rank: x[0].rank) else { return x[0] }
        return x[0].permuted(p)
    }

    // The inverse permutation puts every gradient element back where its input came from.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func vjp<T: Scalar>(
        _ grad: NDArray<T>, inputs x: [NDArray<T>], output: NDArray<T>, needs: [Bool]
    ) -> [NDArray<T>?] {
        guard let p = try? resolved(rank: x[0].rank) else { return [nil] }
        var inverse = p
        for (i, a) in p.enumerated() { inverse[a] = i }
        return [grad.permuted(inverse)]
    }
}

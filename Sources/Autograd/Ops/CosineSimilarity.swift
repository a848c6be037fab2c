/// Cosine similarity along `axis`, as `torch.nn.functional.cosine_similarity(a, b, dim=axis,
/// eps=eps)` in torch 2.15: `sum((a / max(‖a‖, eps)) * (b / max(‖b‖, eps)))` over the axis of
/// the broadcast of `a` and `b`. Each vector is divided by its own norm first (so the result
/// stays within [-1, 1]); the clamp at `eps` is outside autograd in torch, so the gradient
/// flows through each norm as if it were not clamped (and not at all where the norm is 0).
public struct CosineSimilarity: Operator {
    public static let signature = OpSignature(
        name: "cosine_similarity", arity: .exactly(2), inputs: ["a", "b"],
        attributes: [
            AttributeSpec("axis", .int, default: .int(1), "the axis of the vectors, negatives from the end"),
            AttributeSpec("eps", .number, default: .number(1e-8), "the least norm divided by"),
        ],
        summary: "a·b / (max(‖a‖, eps) max(‖b‖, eps)) along axis, broadcasting a and b",
        pytorch: "torch.nn.functional.cosine_similarity(a, b, dim=axis, eps=eps)",
        shapeRule: "the broadcast of a's and b's shapes without axis",
        notes: "torch 2.15's formula: each vector divided by max(its norm, eps) first; the gradient treats a clamped norm as the norm, as torch")

    /// The axis of the vectors in the broadcast of `a` and `b`, negatives counting from the end;
    /// default 1, as torch's `dim`.
    public let axis: Int
    /// The least norm each vector is divided by (a clamp outside autograd, as torch); default 1e-8.
    public let eps: Double

    /// The op as `F.cosine_similarity(a, b, dim=axis, eps=eps)`.
    public init(axis: Int = 1, eps: Double = 1e-8) {
        self.axis = axis
        self.eps = eps
    }

    public init(attributes: Attributes) throws(OpError) {
        self.init(axis: try attributes.int("axis"), eps: try attributes.number("eps"))
    }

    public func outputShape(_ inputs: [[Int]]) throws(OpError) -> [Int] {
        var shape = try Shape.broadcastRule(inputs)
        let a = try Shape.resolveAxis(axis, rank: shape.count, scalarAllowed: true)
        if !shape.isEmpty { shape.remove(at: a) }
        return shape
    }

    /// The broadcast shape, the axis and the shape with the axis kept as 1.
    private func layout(_ a: [Int], _ b: [Int]) -> (shape: [Int], kept: [Int])? {
        guard let shape = Shape.broadcast(a, b),
              let axis = try? Shape.resolveAxis(axis, rank: shape.count, scalarAllowed: true)
        else { return nil }
        return (shape, Shape.keeping(shape, axis: axis))
    }

    /// Each vector's norm and its clamp at `eps`, in the kept shape.
    private func norms<T: Scalar>(_ x: NDArray<T>, _ kept: [Int]) -> (norm: NDArray<T>, clamped: NDArray<T>) {
        let norm = x.map { $0 * $0 }.sum(to: kept).map { $0.squareRoot() }
        let eps = T(self.eps)
        return (norm, norm.map { $0 < eps ? eps : $0 })
    }

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func forward<T: Scalar>(_ x: [NDArray<T>]) -> NDArray<T> {
        guard let (shape, kept) = layout(x[0].shape, x[1].shape), let out = try? outputShape([x[0].shape, x[1].shape])
        else { return x[0] }
        let a = x[0].broadcast(to: shape), b = x[1].broadcast(to: shape)
        let u = NDArray.broadcast(a, norms(a, kept).clamped, to: shape) { $0 / $1 }
        let v = NDArray.broadcast(b, norms(b, kept).clamped, to: shape) { $0 / $1 }
        return u.zip(v) { $0 * $1 }.sum(to: kept).reshaped(out)
    }

    // With u = a / c_a (c_a the clamped norm), v = b / c_b and y = sum(u v):
    // da = g v / c_a + a (dc_a / ‖a‖), dc_a = -sum(g v a) / c_a², the second term 0 where
    // ‖a‖ = 0 (torch's norm backward); db likewise.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func vjp<T: Scalar>(
        _ grad: NDArray<T>, inputs x: [NDArray<T>], output: NDArray<T>, needs: [Bool]
    ) -> [NDArray<T>?] {
        guard let (shape, kept) = layout(x[0].shape, x[1].shape) else { return [nil, nil] }
        let a = x[0].broadcast(to: shape), b = x[1].broadcast(to: shape)
        let g = grad.reshaped(kept).broadcast(to: shape)
        let na = norms(a, kept), nb = norms(b, kept)
        func gradient(_ p: NDArray<T>, _ np: (norm: NDArray<T>, clamped: NDArray<T>), _ q: NDArray<T>,
                      _ nq: (norm: NDArray<T>, clamped: NDArray<T>)) -> NDArray<T> {
            let w = g.zip(NDArray.broadcast(q, nq.clamped, to: shape) { $0 / $1 }) { $0 * $1 }  // g v
            let direct = NDArray.broadcast(w, np.clamped, to: shape) { $0 / $1 }
            let dc = w.zip(p) { $0 * $1 }.sum(to: kept).zip(np.clamped) { -$0 / ($1 * $1) }
            let scale = dc.zip(np.norm) { d, n in n == 0 ? 0 : d / n }
            return direct.zip(NDArray.broadcast(p, scale, to: shape) { $0 * $1 }) { $0 + $1 }
        }
        return [
            needs[0] ? gradient(a, na, b, nb) : nil,
            needs[1] ? gradient(b, nb, a, na) : nil,
        ]
    }
}

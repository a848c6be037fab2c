/// The negative log-likelihood of log-probabilities at class indices: PyTorch's
/// `nll_loss`. Scores `[N, C]`, `[N, C, d...]` or `[C]`; targets shaped like the scores
/// without the class axis, integral floats in `[0, C)` or equal to `ignore_index`; an
/// optional class weight `[C]`. The per-sample loss is `−w_k · input[k]` (0 where ignored);
/// `mean` divides by the summed weight of the samples not ignored, as torch (NaN when all
/// are ignored). The weight gets no gradient (torch does not differentiate it).
public struct NLLLoss: Operator {
    public static let signature = OpSignature(
        name: "nll_loss", arity: .range(2, 3), inputs: ["input", "target", "weight?"],
        attributes: [Reduction.attribute, ClassScores.ignoreIndexAttribute],
        summary: "negative log-likelihood of log-probabilities [N, C, d...] at class indices [N, d...], optional class weight [C]",
        pytorch: "torch.nn.functional.nll_loss(input, target, weight=weight, reduction=reduction, ignore_index=ignore_index)",
        shapeRule: "input [N, C, d...] with target [N, d...] of class indices, optional weight [C] (one sample: [C] with []); [] for \"mean\" and \"sum\", [N, d...] for \"none\"",
        notes: "per sample -w_k·input[k], 0 where the target is ignore_index; \"mean\" divides by the summed weight of the samples not ignored (NaN when all are), as torch; class indices are integers in [0, C) (else 422 at the target); the weight gets no gradient")

    /// How the per-sample losses are reduced; `mean` divides by the summed weight of the samples
    /// not ignored.
    public let reduction: Reduction
    /// A target class index whose samples add nothing to the loss, to the mean's denominator or to
    /// the gradient; default −100, as torch.
    public let ignoreIndex: Int

    /// The op as `F.nll_loss(input, target, weight, reduction=reduction,
    /// ignore_index=ignoreIndex)`.
    public init(reduction: Reduction = .mean, ignoreIndex: Int = -100) {
        self.reduction = reduction
        self.ignoreIndex = ignoreIndex
    }

    public init(attributes: Attributes) throws(OpError) {
        self.init(reduction: try Reduction(attributes: attributes), ignoreIndex: try attributes.int("ignore_index"))
    }

    public func outputShape(_ inputs: [[Int]]) throws(OpError) -> [Int] {
        reduction.outputShape(try ClassScores("nll_loss", inputs, probabilitiesAllowed: false).rowShape)
    }

    public func validateValues<T: Scalar>(_ inputs: [NDArray<T>]) throws(OpError) {
        try ClassScores("nll_loss", inputs.map(\.shape), probabilitiesAllowed: false).check(inputs[1], ignore: ignoreIndex)
    }

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func forward<T: Scalar>(_ x: [NDArray<T>]) -> NDArray<T> {
        guard let layout = try? ClassScores("nll_loss", x.map(\.shape), probabilitiesAllowed: false) else { return x[0] }
        let classes = layout.classes(x[1], ignore: ignoreIndex)
        let weight = x.count > 2 ? x[2].data : nil
        let losses = x[0].data.withUnsafeBufferPointer { lp in
            NDArray<T>(shape: layout.rowShape) { out in
                for s in 0..<layout.samples {
                    let k = classes[s]
                    guard k >= 0 else {
                        out[s] = x[1].data[s] == T(ignoreIndex) ? 0 : .nan
                        continue
                    }
                    let v = -lp[layout.offset(s, k)]
                    out[s] = weight.map { v * $0[k] } ?? v
                }
            }
        }
        return ClassScores.reduce(losses, reduction, denominator: layout.totalWeight(classes, weight))
    }

    // d/dinput = −w_k · g at each sample's class, 0 elsewhere and for ignored samples.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func vjp<T: Scalar>(
        _ grad: NDArray<T>, inputs x: [NDArray<T>], output: NDArray<T>, needs: [Bool]
    ) -> [NDArray<T>?] {
        var result = x.map { _ -> NDArray<T>? in nil }
        guard needs[0], let layout = try? ClassScores("nll_loss", x.map(\.shape), probabilitiesAllowed: false) else {
            return result
        }
        let classes = layout.classes(x[1], ignore: ignoreIndex)
        let weight = x.count > 2 ? x[2].data : nil
        let g = ClassScores.spread(grad, reduction, count: layout.samples, denominator: layout.totalWeight(classes, weight))
        var d = NDArray<T>(repeating: 0, shape: x[0].shape)
        d.data.withUnsafeMutableBufferPointer { out in
            for s in 0..<layout.samples where classes[s] >= 0 {
                let k = classes[s]
                out[layout.offset(s, k)] = -(weight.map { $0[k] * g[s] } ?? g[s])
            }
        }
        result[0] = d
        return result
    }
}

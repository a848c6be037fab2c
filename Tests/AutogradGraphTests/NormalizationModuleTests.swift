import Autograd
import Foundation
import Testing

/// The normalisation and attention modules against torch.nn's (Tests/Fixtures/gen_norm.py
/// writes Tests/Fixtures/modules/normalization.json), in float64.
@Suite struct NormalizationModuleTests {
    nonisolated(unsafe) static let doc: [String: Any] = {
        let url = FixturePaths.root.appendingPathComponent("Tests/Fixtures/modules/normalization.json")
        guard let data = try? Data(contentsOf: url),
            let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
        else { return [:] }
        return object
    }()

    /// A nested JSON array as (shape, flat values).
    static func array(_ v: Any?) -> NDArray<Double> {
        var shape: [Int] = []
        var probe = v
        while let a = probe as? [Any] {
            shape.append(a.count)
            probe = a.first
        }
        func flat(_ v: Any?) -> [Double] {
            if let a = v as? [Any] { return a.flatMap(flat) }
            return [(v as? NSNumber)?.doubleValue ?? .nan]
        }
        return NDArray(shape: shape, data: flat(v))
    }

    static func close(_ a: NDArray<Double>, _ b: NDArray<Double>, _ what: String) {
        #expect(a.shape == b.shape, "\(what) shape")
        let worst = zip(a.data, b.data).map { abs($0 - $1) / (1e-12 + abs($1)) }.max() ?? 0
        #expect(a.shape == b.shape && worst < 1e-9, "\(what): relative error \(worst)")
    }

    @Test func batchNormUpdatesRunningStatisticsAsTorch() throws {
        let bn = try #require(Self.doc["batch_norm"] as? [String: Any])
        let steps = try #require(bn["steps"] as? [[String: Any]])
        let layer = BatchNorm<Double>(numFeatures: 3)
        for (i, step) in steps.enumerated() {
            let y = layer(Tensor(Self.array(step["x"])))
            Self.close(y.value, Self.array(step["y"]), "step \(i) output")
            Self.close(layer.runningMean, Self.array(step["running_mean"]), "step \(i) running_mean")
            Self.close(layer.runningVar, Self.array(step["running_var"]), "step \(i) running_var")
        }
        #expect(layer.numBatchesTracked == 2)
        layer.training = false
        let before = layer.runningMean
        Self.close(layer(Tensor(Self.array(bn["eval_x"]))).value, Self.array(bn["eval_y"]), "eval output")
        #expect(layer.runningMean == before, "evaluation mode leaves the running statistics")
    }

    @Test func multiheadAttentionLoadsTorchWeights() throws {
        let m = try #require(Self.doc["multihead_attention"] as? [String: Any])
        let layer = MultiheadAttention<Double>(
            numHeads: try #require(m["num_heads"] as? Int),
            inProjWeight: Tensor(Self.array(m["in_proj_weight"])), inProjBias: Tensor(Self.array(m["in_proj_bias"])),
            outProjWeight: Tensor(Self.array(m["out_proj_weight"])), outProjBias: Tensor(Self.array(m["out_proj_bias"])))
        let x = Tensor(Self.array(m["x"]))
        let out = layer(x, x, x, isCausal: true)
        Self.close(out.value, Self.array(m["out"]), "output")
        try out.backward(seed: Self.array(m["seed"]))
        Self.close(layer.inProjWeight.gradOrZeros, Self.array(m["grad_in_proj_weight"]), "in_proj_weight gradient")
        Self.close(layer.outProjWeight.gradOrZeros, Self.array(m["grad_out_proj_weight"]), "out_proj.weight gradient")
        Self.close(layer.outProjBias?.gradOrZeros ?? NDArray(repeating: 0, shape: [0]), Self.array(m["grad_out_proj_bias"]), "out_proj.bias gradient")
    }

    @Test func normLayersMatchTheirFunctions() throws {
        let x = Tensor(NDArray<Double>(shape: [2, 4, 3], data: (0..<24).map { Double($0 % 7) - 2.5 }))
        #expect(LayerNorm<Double>([3])(x).value == layerNorm(x, normalizedShape: [3]).value)
        #expect(RMSNorm<Double>([4, 3])(x).value == rmsNorm(x, normalizedShape: [4, 3]).value)
        #expect(GroupNorm<Double>(numGroups: 2, numChannels: 4)(x).value == groupNorm(x, numGroups: 2).value)
        #expect(LayerNorm<Double>([3]).parameters.count == 2 && RMSNorm<Double>([3]).parameters.count == 1)
        let mha = MultiheadAttention<Double>(embedDim: 4, numHeads: 2, seed: 3)
        #expect(mha.parameters.map(\.shape) == [[12, 4], [12], [4, 4], [4]])
    }
}

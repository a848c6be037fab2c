import Autograd
import Foundation
import Testing

/// Module and optimizer state as safetensors (issue 22): stable dotted names for every
/// module, parameters found by reflection, PyTorch's strict-loading rules, a file written
/// by Python's `safetensors` (Tests/Fixtures/gen_state.py) predicting as PyTorch does,
/// and training resumed from saved state matching uninterrupted training bit for bit.
@Suite struct StateDictTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fixtures/state")

    /// An array as the fixtures write it. JSONDecoder, not JSONSerialization, which
    /// rounds some decimal numbers on Linux.
    struct Stored: Decodable {
        let shape: [Int]
        let data: [Double]
        func ndarray<T: Scalar>() -> NDArray<T> { NDArray(shape: shape, data: data.map { T($0) }) }
    }

    struct Expected: Decodable {
        let x: Stored
        let predictions: Stored
    }

    static func json<V: Decodable>(_ name: String, as: V.Type) throws -> V {
        try JSONDecoder().decode(V.self, from: Data(contentsOf: fixtures.appendingPathComponent(name)))
    }

    static func temporaryPath(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("autograd-\(UUID().uuidString)-\(name)").path
    }

    /// The fixture's model: torch's `Sequential(Linear(4, 8), BatchNorm1d(8), ReLU(), LayerNorm(8), Linear(8, 3))`.
    static func mlp<T: Scalar>(_: T.Type, seed: UInt64 = 0) -> Sequential<T> {
        Sequential<T>(Linear(inFeatures: 4, outFeatures: 8, seed: seed), BatchNorm(numFeatures: 8), ReLU(),
                      LayerNorm([8]), Linear(inFeatures: 8, outFeatures: 3, seed: seed + 1))
    }

    @Test func namesAreDottedAndStable() {
        let model = Sequential<Float>(Linear(inFeatures: 2, outFeatures: 3), ReLU(), Linear(inFeatures: 3, outFeatures: 1, bias: false))
        #expect(model.stateDict().names == ["0.W", "0.b", "2.W"])
        let nested = Sequential<Float>(Linear(inFeatures: 2, outFeatures: 2), Sequential<Float>(ReLU(), BatchNorm(numFeatures: 2)))
        #expect(nested.stateDict().names == [
            "0.W", "0.b", "1.1.weight", "1.1.bias", "1.1.runningMean", "1.1.runningVar", "1.1.numBatchesTracked",
        ])
        let modules: [(any Module<Float>, [String])] = [
            (Conv1d(inChannels: 2, outChannels: 3, kernelSize: 2), ["weight", "bias"]),
            (Conv2d(inChannels: 2, outChannels: 3, kernelSize: [2]), ["weight", "bias"]),
            (ConvTranspose2d(inChannels: 2, outChannels: 3, kernelSize: [2], bias: false), ["weight"]),
            (BatchNorm(numFeatures: 2), ["weight", "bias", "runningMean", "runningVar", "numBatchesTracked"]),
            (LayerNorm([3]), ["weight", "bias"]),
            (RMSNorm([3]), ["weight"]),
            (GroupNorm(numGroups: 1, numChannels: 2), ["weight", "bias"]),
            (Embedding(count: 4, dimension: 2), ["weight"]),
            (MultiheadAttention(embedDim: 4, numHeads: 2), ["inProjWeight", "inProjBias", "outProjWeight", "outProjBias"]),
            (Dropout(p: 0.5), []),
        ]
        for (module, names) in modules {
            #expect(module.stateDict().names == names, "\(type(of: module))")
            // Reflection finds exactly the tensors the module's hand-written list gives, in order.
            #expect(module.namedParameters.map { ObjectIdentifier($0.tensor) } == module.parameters.map { ObjectIdentifier($0) },
                    "\(type(of: module))")
        }
    }

    /// A user's module that lists nothing: its parameters, submodules and buffers are found.
    final class Block: Module {
        let encoder = Linear<Double>(inFeatures: 2, outFeatures: 3, seed: 1)
        var heads: [any Module<Double>] = [Linear<Double>(inFeatures: 3, outFeatures: 1, seed: 2), Tanh<Double>()]
        let scale: Tensor<Double>? = Tensor(2.0, requiresGrad: true)
        let unused: Tensor<Double>? = nil
        private let _count = Buffer<Double>(NDArray(scalar: 0))
        let width = 3

        func callAsFunction(_ x: Tensor<Double>) -> Tensor<Double> {
            heads.reduce(encoder(x)) { $1($0) } * scale!
        }
    }

    @Test func aCustomModuleIsReflected() throws {
        let block = Block()
        #expect(block.namedParameters.map(\.name) == ["encoder.W", "encoder.b", "heads.0.W", "heads.0.b", "scale"])
        #expect(block.namedBuffers.map(\.name) == ["count"])
        #expect(block.parameters.map(\.shape) == [[2, 3], [3], [3, 1], [1], []])
        // The discovered parameters train: every one gets a gradient.
        let loss = block(Tensor([[1, -1]])).sum()
        try loss.backward()
        #expect(block.parameters.allSatisfy { $0.grad != nil })
    }

    @Test func sequentialIsBuiltFromAListAndExtends() {
        let model = Sequential<Float>([Linear(inFeatures: 2, outFeatures: 2, seed: 3)])
        model.append(ReLU())
        model.append(contentsOf: [Linear(inFeatures: 2, outFeatures: 1, seed: 4)])
        #expect(model.layers.count == 3)
        #expect(model.stateDict().names == ["0.W", "0.b", "2.W", "2.b"])
        #expect(model(Tensor<Float>([[1, 2]])).shape == [1, 1])
    }

    @Test(arguments: [false, true])
    func aFileWrittenByPythonPredictsAsPyTorch(double: Bool) throws {
        let expected = try Self.json("mlp.expected.json", as: Expected.self)
        let path = Self.fixtures.appendingPathComponent("mlp.safetensors").path
        if double {
            let model = Self.mlp(Double.self)
            try model.load(StateDict(contentsOfFile: path))
            (model.layers[1] as! BatchNorm<Double>).training = false
            let y = noGrad { model(Tensor(expected.x.ndarray() as NDArray<Double>)) }
            // float32 weights in float64 arithmetic against torch's float32 run.
            expectClose(y.value, expected.predictions.ndarray(), rtol: 1e-5, atol: 1e-5)
        } else {
            let state = try StateDict<Float>(contentsOfFile: path)
            #expect(state.metadata == ["format": "pt"])
            #expect(state["1.numBatchesTracked"] == NDArray(scalar: 5))  // stored as int64
            let model = Self.mlp(Float.self)
            try model.load(state)
            let bn = model.layers[1] as! BatchNorm<Float>
            #expect(bn.numBatchesTracked == 5)
            #expect(bn.runningMean == state["1.runningMean"])
            bn.training = false
            let y = noGrad { model(Tensor(expected.x.ndarray() as NDArray<Float>)) }
            expectClose(y.value, expected.predictions.ndarray(), rtol: 1e-5, atol: 1e-6)
        }
    }

    @Test func everyElementTypeConverts() throws {
        let expected = try Self.json("dtypes.expected.json", as: [String: Stored].self)
        let state = try StateDict<Double>(contentsOfFile: Self.fixtures.appendingPathComponent("dtypes.safetensors").path)
        #expect(Set(state.names) == Set(expected.keys))
        for name in state.names {
            let want: NDArray<Double> = expected[name]!.ndarray()
            #expect(state[name] == want, "\(name)")
            #expect(state[name]!.data.map { $0.sign } == want.data.map { $0.sign }, "\(name): the sign of -0")
        }
    }

    @Test func savingAndLoadingPredictsTheSameAndWritesTheSameBytes() throws {
        let model = Self.mlp(Float.self, seed: 5)
        let x = Tensor<Float>(shape: [6, 4], scalars: (0..<24).map { Float($0 % 7) - 3 })
        let optimizer = Adam(model.parameters, lr: 0.01)
        for _ in 0..<3 {
            optimizer.zeroGrad()
            try model(x).square().mean().backward()
            optimizer.step()
        }
        (model.layers[1] as! BatchNorm<Float>).training = false
        let path = Self.temporaryPath("mlp.safetensors")
        defer { try? FileManager.default.removeItem(atPath: path) }
        var state = model.stateDict()
        state.metadata = ["written by": "StateDictTests"]
        try state.write(toFile: path)
        let fresh = Self.mlp(Float.self, seed: 99)
        (fresh.layers[1] as! BatchNorm<Float>).training = false
        #expect(fresh(x).value != model(x).value)
        let read = try StateDict<Float>(contentsOfFile: path)
        #expect(read == state)
        try fresh.load(read)
        #expect(fresh(x).value == model(x).value)
        #expect(read.safetensors() == state.safetensors())
    }

    @Test func strictLoadingNamesTheKeys() throws {
        let model = Sequential<Double>(Linear(inFeatures: 2, outFeatures: 2, seed: 1))
        var state = model.stateDict()
        state["0.b"] = nil
        state["extra"] = NDArray([1])
        #expect(throws: StateError.keys(missing: ["0.b"], unexpected: ["extra"])) { try model.load(state) }
        let before = model.stateDict()
        #expect(model.stateDict() == before, "a failed strict load changes nothing")
        var other = Sequential<Double>(Linear(inFeatures: 2, outFeatures: 2, seed: 7)).stateDict()
        other["0.b"] = nil
        other["extra"] = NDArray([1])
        try model.load(other, strict: false)
        #expect(model.stateDict()["0.W"] == other["0.W"])
        #expect(model.stateDict()["0.b"] == before["0.b"])
        #expect(
            StateError.keys(missing: ["0.b"], unexpected: ["extra"]).description
                == #"Error(s) in loading state_dict: Missing key(s) in state_dict: "0.b". Unexpected key(s) in state_dict: "extra"."#)
    }

    @Test func aShapeMismatchThrowsEvenWhenNotStrictAndChangesNothing() {
        let model = Sequential<Double>(Linear(inFeatures: 2, outFeatures: 2, seed: 1))
        let before = model.stateDict()
        var state = Sequential<Double>(Linear(inFeatures: 2, outFeatures: 2, seed: 8)).stateDict()
        state["0.b"] = NDArray([1, 2, 3])
        for strict in [true, false] {
            #expect(throws: StateError.shapeMismatch(key: "0.b", expected: [2], got: [3])) { try model.load(state, strict: strict) }
        }
        #expect(model.stateDict() == before)
    }

    @Test func loadingSharesNothingWithTheCallerAndReachesTheOptimizer() throws {
        let model = Sequential<Double>(Linear(inFeatures: 2, outFeatures: 1, seed: 1))
        let optimizer = SGD(model.parameters, lr: 0.1)
        let state = Sequential<Double>(Linear(inFeatures: 2, outFeatures: 1, seed: 2)).stateDict()
        let kept = state
        try model.load(state)
        #expect(optimizer.parameters[0].value == state["0.W"])
        try model(Tensor([[1, 2]])).sum().backward()
        optimizer.step()
        // The optimizer updated the loaded values; the caller's dict is untouched.
        let w = kept["0.W"]!.data
        #expect(optimizer.parameters[0].scalars == [w[0] - 0.1 * 1, w[1] - 0.1 * 2])
        #expect(state == kept)
    }

    /// Train `steps` steps, save model and optimizer, then either go on or load both into
    /// fresh ones and go on: the parameters must agree to the bit.
    static func resume(_ make: ([Tensor<Double>]) -> any Optimizer<Double>) throws -> ([Double], [Double], [String]) {
        let x = Tensor<Double>(shape: [5, 3], scalars: (0..<15).map { Double($0 % 4) - 1.5 })
        func build(_ seed: UInt64) -> Sequential<Double> {
            Sequential<Double>(Linear(inFeatures: 3, outFeatures: 4, seed: seed), Tanh(), Linear(inFeatures: 4, outFeatures: 1, seed: seed + 1))
        }
        func train(_ model: Sequential<Double>, _ optimizer: any Optimizer<Double>, _ steps: Int) throws {
            for _ in 0..<steps {
                optimizer.zeroGrad()
                try model(x).square().mean().backward()
                optimizer.step()
            }
        }
        let model = build(1), optimizer = make(model.parameters)
        try train(model, optimizer, 3)
        let path = Self.temporaryPath("optimizer.safetensors")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try optimizer.stateDict().write(toFile: path)
        let saved = model.stateDict()
        let resumed = build(9), resumedOptimizer = make(resumed.parameters)
        try resumed.load(saved)
        try resumedOptimizer.load(StateDict(contentsOfFile: path), strict: true)
        try train(model, optimizer, 4)
        try train(resumed, resumedOptimizer, 4)
        return (model.parameters.flatMap(\.scalars), resumed.parameters.flatMap(\.scalars), optimizer.stateDict().names)
    }

    @Test func sgdMomentumResumes() throws {
        let (a, b, names) = try Self.resume { SGD($0, lr: 0.1, momentum: 0.9, nesterov: true) }
        #expect(a == b)
        #expect(names == ["0.momentum_buffer", "1.momentum_buffer", "2.momentum_buffer", "3.momentum_buffer"])
    }

    @Test func adamResumes() throws {
        let (a, b, names) = try Self.resume { Adam($0, lr: 0.05, amsgrad: true) }
        #expect(a == b)
        #expect(names.prefix(4) == ["0.step", "0.exp_avg", "0.exp_avg_sq", "0.max_exp_avg_sq"])
        let (c, d, _) = try Self.resume { AdamW($0, lr: 0.05) }
        #expect(c == d)
    }

    @Test func optimizerStateIsChecked() throws {
        let p = Tensor<Double>([1, 2], requiresGrad: true)
        let adam = Adam([p], lr: 0.1)
        #expect(adam.stateDict().count == 0, "no state before the first step")
        var state = StateDict<Double>([("0.step", NDArray(scalar: 1)), ("0.exp_avg", NDArray([0, 0]))])
        #expect(throws: StateError.keys(missing: ["0.exp_avg_sq"], unexpected: [])) { try adam.load(state) }
        state["0.exp_avg_sq"] = NDArray([1, 2, 3])
        #expect(throws: StateError.shapeMismatch(key: "0.exp_avg_sq", expected: [2], got: [3])) { try adam.load(state) }
        state["0.exp_avg_sq"] = NDArray([0, 0])
        state["1.step"] = NDArray(scalar: 1)
        #expect(throws: StateError.keys(missing: [], unexpected: ["1.step"])) { try adam.load(state) }
        try adam.load(state, strict: false)
        #expect(adam.stateDict().names == ["0.step", "0.exp_avg", "0.exp_avg_sq"])
    }

    @Test func malformedFilesThrow() throws {
        let good = StateDict<Float>([("a", NDArray([1, 2])), ("b\"\\\u{1}é😀", NDArray(scalar: 3))]).safetensors()
        #expect(try StateDict<Float>(safetensors: good)["b\"\\\u{1}é😀"] == NDArray(scalar: 3))
        #expect(Int(good[0]) % 8 == 0 && good[1..<8].allSatisfy { $0 == 0 }, "the header is padded to 8 bytes")
        func header(_ json: String, data: Int = 0) -> [UInt8] {
            let h = Array(json.utf8)
            return withUnsafeBytes(of: UInt64(h.count).littleEndian, Array.init) + h + [UInt8](repeating: 0, count: data)
        }
        let cases: [[UInt8]] = [
            [], Array(good.prefix(7)), Array(good.dropLast()), good + [0],
            withUnsafeBytes(of: UInt64.max.littleEndian, Array.init) + [0],
            header("[]"), header("{"), header(#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#, data: 4),
            header(#"{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}"#, data: 8),
            header(#"{"a":{"dtype":"X9","shape":[2],"data_offsets":[0,8]}}"#, data: 8),
            header(#"{"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}}"#, data: 8),
            header(#"{"a":{"dtype":"F32","shape":[4611686018427387904,4],"data_offsets":[0,8]}}"#, data: 8),
            header(#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#, data: 8),
            header(#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#, data: 8),
            header(String(repeating: "[", count: 100_000), data: 0),
        ]
        for (i, bytes) in cases.enumerated() {
            #expect(throws: StateError.self, "case \(i)") { try StateDict<Float>(safetensors: bytes) }
        }
        #expect(throws: StateError.self) { try StateDict<Float>(contentsOfFile: "/nonexistent/x.safetensors") }
    }
}

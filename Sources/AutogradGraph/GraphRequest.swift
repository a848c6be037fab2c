import Autograd

/// A decoded request: every name resolved, every attribute checked. Built by
/// `RequestDecoder`, ordered and shape-checked by `GraphPlan`.
package struct GraphRequest {
    package var dtype: DType = .float32
    /// How the answer carries its tensors (`"encoding"`).
    package var encoding: TensorEncoding = .json
    package var tensors: [TensorInput] = []
    package var ops: [OpInput] = []
    package var loss: String?
    package var seed: TensorInput?
    package var outputs: [String]?
    package var gradients: [String]?
    /// `/train` only.
    package var training: TrainingRequest?
    /// `/jvp` only: a direction per named tensor (`"tangents"`), in request order.
    package var tangents: [TensorInput]?
    /// `/hvp` only: the vector per named tensor (`"vectors"`), in request order.
    package var vectors: [TensorInput]?
    /// Tensors named in the request whose definitions were invalid (already reported):
    /// names that resolve, so that their uses are not reported again.
    package var invalidTensorNames: Set<String> = []
    /// Writes the model the request carried back with its trained values (`/train`); set
    /// by the `GraphImporter` that expanded it.
    package var exporter: (any ModelExporter)?
}

/// A tensor given in the request.
package struct TensorInput {
    package let name: String
    package let shape: [Int]
    /// Row-major values: the JSON numbers, the decoded base64, or an `init`'s values.
    package let data: TensorValues
    package let requiresGrad: Bool
    /// Where it is in the request (`/tensors/x`).
    package let pointer: String
}

extension TensorInput {
    /// Values computed in float64 (`init`, and data the decoder read number by number).
    package init(name: String, shape: [Int], data: [Double], requiresGrad: Bool, pointer: String) {
        self.init(name: name, shape: shape, data: .float64(data), requiresGrad: requiresGrad, pointer: pointer)
    }
}

/// A tensor's values as the decoder made them: already in the request's dtype when they
/// came packed or as base64, so that nothing is converted twice.
package enum TensorValues {
    case float32([Float])
    case float64([Double])

    package var count: Int {
        switch self {
        case .float32(let a): a.count
        case .float64(let a): a.count
        }
    }

    /// The values in precision `T`: the array itself when it is already `T`, else converted.
    package func array<T: Scalar>(_: T.Type) -> [T] {
        switch self {
        case .float32(let a):
            if T.self == Float.self { return unsafeBitCast(a, to: [T].self) }
            return a.map { T($0) }
        case .float64(let a):
            if T.self == Double.self { return unsafeBitCast(a, to: [T].self) }
            return a.map { T($0) }
        }
    }
}

extension TensorInput {
    /// A tensor a `GraphImporter` made from a model (its values already in a dtype).
    package init(imported name: String, shape: [Int], data: TensorValues, requiresGrad: Bool, pointer: String) {
        self.init(name: name, shape: shape, data: data, requiresGrad: requiresGrad, pointer: pointer)
    }
}

/// How a response carries its tensors: `{"shape", "data"}` with JSON numbers, or
/// `{"shape", "b64"}` with the little-endian bytes of the dtype, base64-encoded.
package enum TensorEncoding: String {
    case json
    case b64
}

/// An op node given in the request.
package struct OpInput {
    package let id: String
    /// `nil` when the op's name or attributes were invalid (already reported).
    package let op: (any Operator)?
    package let inputs: [String]
    /// Its index in the request's `ops` array.
    package let index: Int
    /// Where a problem with it points when it is not an op of the request's `ops`: an op
    /// a `GraphImporter` made (`/onnx`). The importer checks its ops' names, inputs and
    /// shapes itself, so that only a limit reaches the plan's problems at this pointer.
    package var origin: String? = nil
    package var pointer: String { origin ?? "/ops/\(index)" }
}

extension OpInput {
    /// An op a `GraphImporter` made; problems with it point at `origin`.
    package init(imported id: String, op: any Operator, inputs: [String], origin: String) {
        self.init(id: id, op: op, inputs: inputs, index: -1, origin: origin)
    }
}

/// `/train`'s extra fields.
package struct TrainingRequest {
    package let optimizer: OptimizerSpec
    package let steps: Int
}

/// An optimizer named on the wire, with torch.optim's hyper-parameters.
package enum OptimizerSpec {
    case sgd(lr: Double, momentum: Double, dampening: Double, nesterov: Bool, weightDecay: Double)
    case adam(lr: Double, beta1: Double, beta2: Double, eps: Double, weightDecay: Double, amsgrad: Bool, decoupled: Bool)
}

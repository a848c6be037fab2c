import Autograd

/// A decoded request: every name resolved, every attribute checked. Built by
/// `RequestDecoder`, ordered and shape-checked by `GraphPlan`.
struct GraphRequest {
    var dtype: DType = .float32
    /// How the answer carries its tensors (`"encoding"`).
    var encoding: TensorEncoding = .json
    var tensors: [TensorInput] = []
    var ops: [OpInput] = []
    var loss: String?
    var seed: TensorInput?
    var outputs: [String]?
    var gradients: [String]?
    /// `/train` only.
    var training: TrainingRequest?
    /// Tensors named in the request whose definitions were invalid (already reported):
    /// names that resolve, so that their uses are not reported again.
    var invalidTensorNames: Set<String> = []
}

/// A tensor given in the request.
struct TensorInput {
    let name: String
    let shape: [Int]
    /// Row-major values: the JSON numbers, the decoded base64, or an `init`'s values.
    let data: TensorValues
    let requiresGrad: Bool
    /// Where it is in the request (`/tensors/x`).
    let pointer: String
}

extension TensorInput {
    /// Values computed in float64 (`init`, and data the decoder read number by number).
    init(name: String, shape: [Int], data: [Double], requiresGrad: Bool, pointer: String) {
        self.init(name: name, shape: shape, data: .float64(data), requiresGrad: requiresGrad, pointer: pointer)
    }
}

/// A tensor's values as the decoder made them: already in the request's dtype when they
/// came packed or as base64, so that nothing is converted twice.
enum TensorValues {
    case float32([Float])
    case float64([Double])

    var count: Int {
        switch self {
        case .float32(let a): a.count
        case .float64(let a): a.count
        }
    }

    /// The values in precision `T`: the array itself when it is already `T`, else converted.
    func array<T: Scalar>(_: T.Type) -> [T] {
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

/// How a response carries its tensors: `{"shape", "data"}` with JSON numbers, or
/// `{"shape", "b64"}` with the little-endian bytes of the dtype, base64-encoded.
enum TensorEncoding: String {
    case json
    case b64
}

/// An op node given in the request.
struct OpInput {
    let id: String
    /// `nil` when the op's name or attributes were invalid (already reported).
    let op: (any Operator)?
    let inputs: [String]
    /// Its index in the request's `ops` array.
    let index: Int
    var pointer: String { "/ops/\(index)" }
}

/// `/train`'s extra fields.
struct TrainingRequest {
    let optimizer: OptimizerSpec
    let steps: Int
}

/// An optimizer named on the wire, with torch.optim's hyper-parameters.
enum OptimizerSpec {
    case sgd(lr: Double, momentum: Double, dampening: Double, nesterov: Bool, weightDecay: Double)
    case adam(lr: Double, beta1: Double, beta2: Double, eps: Double, weightDecay: Double, amsgrad: Bool, decoupled: Bool)
}

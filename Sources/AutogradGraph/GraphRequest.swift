import Autograd

/// A decoded request: every name resolved, every attribute checked. Built by
/// `RequestDecoder`, ordered and shape-checked by `GraphPlan`.
struct GraphRequest {
    var dtype: DType = .float32
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
    /// Row-major values, exactly as the JSON numbers read.
    let data: [Double]
    let requiresGrad: Bool
    /// Where it is in the request (`/tensors/x`).
    let pointer: String
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
    case adam(lr: Double, beta1: Double, beta2: Double, eps: Double, weightDecay: Double, decoupled: Bool)
}

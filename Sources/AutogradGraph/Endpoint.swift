/// The computations a graph request can ask for; each is a `POST /<rawValue>` route.
public enum Endpoint: String, Sendable, CaseIterable {
    /// Outputs and gradients.
    case backward
    /// Outputs only; no graph is recorded for a backward pass.
    case forward
    /// Full-batch optimisation steps; the loss at each step and the final parameters.
    case train
    /// The graph as Graphviz DOT (after a backward pass when it has a loss: with gradient
    /// norms); the server renders it as SVG on request.
    case graph
    /// Outputs and their forward-mode derivatives along `tangents` (Jacobian-vector products).
    case jvp
    /// The scalar loss, its gradients, and Hessian-vector products with `vectors`.
    case hvp

    /// The top-level fields a request to this endpoint may have.
    var fields: [String] {
        let graph = ["dtype", "encoding", "tensors", "ops", "loss", "seed", "outputs", "gradients"]
        switch self {
        case .backward, .forward, .graph: return graph + ["id"]
        case .train: return ["id"] + ["dtype", "encoding", "tensors", "ops", "loss", "optimizer", "steps"]
        case .jvp: return ["id", "dtype", "encoding", "tensors", "ops", "loss", "outputs", "tangents"]
        case .hvp: return ["id", "dtype", "encoding", "tensors", "ops", "loss", "outputs", "gradients", "vectors"]
        }
    }
}

/// The computations a graph request can ask for; each is a `POST /<rawValue>` route.
public enum Endpoint: String, Sendable, CaseIterable {
    /// Outputs and gradients.
    case backward
    /// Outputs only; no graph is recorded for a backward pass.
    case forward
    /// Full-batch optimisation steps; the loss at each step and the final parameters.
    case train

    /// The top-level fields a request to this endpoint may have.
    var fields: [String] {
        let graph = ["dtype", "tensors", "ops", "loss", "seed", "outputs", "gradients"]
        switch self {
        case .backward, .forward: return graph
        case .train: return ["dtype", "tensors", "ops", "loss", "optimizer", "steps"]
        }
    }
}

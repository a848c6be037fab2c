/// The computations a graph request can ask for; each is a `POST /<rawValue>` route.
public enum Endpoint: String, Sendable, CaseIterable {
    /// Outputs and gradients.
    case backward

    /// The top-level fields a request to this endpoint may have.
    var fields: [String] {
        switch self {
        case .backward: ["dtype", "tensors", "ops", "loss", "seed", "outputs", "gradients"]
        }
    }
}

/// The computations a graph request can ask for; each is a `POST /<rawValue>` route.
public enum Endpoint: String, Sendable, CaseIterable {
    /// Outputs and gradients.
    case backward
}

/// When a request must stop computing (`GraphLimits.requestTimeoutSeconds`), checked
/// between ops of the forward pass, between nodes of the backward pass and between
/// `/train` steps: one op's kernel is never interrupted, but no request runs more than
/// one op past its limit.
struct Deadline: Sendable {
    /// The limit in seconds, as configured; `nil`: none.
    let seconds: Double?
    private let end: ContinuousClock.Instant?

    /// A deadline `seconds` after `start`. Zero, negative, non-finite or absurdly large
    /// values (over a year) mean no limit, so a configuration value can never trap.
    init(seconds: Double, from start: ContinuousClock.Instant = .now) {
        if seconds > 0 && seconds <= 366 * 86_400 {
            self.seconds = seconds
            end = start.advanced(by: .nanoseconds(Int64(seconds * 1e9)))
        } else {
            self.seconds = nil
            end = nil
        }
    }

    static let none = Deadline(seconds: 0)

    var isPast: Bool {
        guard let end else { return false }
        return ContinuousClock.now >= end
    }

    /// Throws the 503 when the deadline has passed; `stage` says where the work stopped.
    func check(_ stage: @autoclosure () -> String) throws(Problem) {
        if isPast { throw problem(stage()) }
    }

    /// The answer to a request stopped by its deadline: 503, since the server chose to
    /// stop (the graph itself is valid). No `Retry-After`: the same request would run
    /// as long again, so retrying it is not advice the server can give.
    func problem(_ stage: String) -> Problem {
        let limit = seconds.map { s in s == s.rounded() && s < 1e15 ? "\(Int(s)) s" : "\(s) s" } ?? "?"
        return Problem(
            status: 503, title: "Service Unavailable",
            detail: "The request ran over the request timeout of \(limit) and was stopped \(stage); "
                + "send a smaller graph or fewer steps, or raise --request-timeout.",
            kind: .computationTimeout)
    }
}

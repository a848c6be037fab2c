import Synchronization

/// Whether ops record themselves for `backward()`: off inside `noGrad { }`.
///
/// The switch is a task-local value, so a scope covers its own task and the child tasks it
/// starts (`async let`, task groups, `Task { }`), and other tasks and threads keep
/// recording. A global count of open scopes lets the common case (no scope open anywhere)
/// skip the task-local lookup: one relaxed atomic load per recorded op.
enum GradMode {
    @TaskLocal static var disabled = false
    /// How many `noGrad` scopes are open, in any task or thread.
    static let openScopes = Atomic<Int>(0)

    /// Whether an op applied here and now should be recorded.
    @inline(__always)
    static var isRecording: Bool {
        openScopes.load(ordering: .relaxed) == 0 || !disabled
    }
}

/// Runs `body` without recording: every tensor an op makes inside it is a leaf that
/// requires no gradient, as under PyTorch's `torch.no_grad()`. Use it for evaluation and
/// for updates a gradient must not see.
///
/// ```swift
/// let prediction = noGrad { model(x) }   // prediction.op == nil, no graph kept
/// ```
///
/// Scopes nest; the scope covers `body`'s own task (and the tasks it starts), not other
/// threads or tasks running at the same time.
public func noGrad<R>(_ body: () throws -> R) rethrows -> R {
    GradMode.openScopes.add(1, ordering: .relaxed)
    defer { GradMode.openScopes.subtract(1, ordering: .relaxed) }
    return try GradMode.$disabled.withValue(true) { try body() }
}

/// Runs the asynchronous `body` without recording, as the synchronous `noGrad(_:)`; the
/// scope holds across `await`s and in the child tasks `body` starts.
public func noGrad<R>(
    isolation: isolated (any Actor)? = #isolation, _ body: () async throws -> R
) async rethrows -> R {
    GradMode.openScopes.add(1, ordering: .relaxed)
    defer { GradMode.openScopes.subtract(1, ordering: .relaxed) }
    return try await GradMode.$disabled.withValue(true) { try await body() }
}

/// Whether ops applied here record themselves for `backward()`: false inside `noGrad { }`.
public var isGradEnabled: Bool { GradMode.isRecording }

extension Tensor {
    /// A leaf with this tensor's values and no history, requiring no gradient, as
    /// PyTorch's `detach()`: gradients stop here. The values are shared, not copied (an
    /// `NDArray` is copy-on-write, so a later in-place update of either copies first).
    public func detach() -> Tensor<T> { Tensor(value) }
}

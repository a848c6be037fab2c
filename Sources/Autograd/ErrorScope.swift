import Synchronization

// Catching the errors of the non-throwing API, in the manner of mlx-swift's `withError`:
// inside the scope an op that cannot run records its error and hands back an empty
// placeholder instead of trapping, and the scope throws the first error when its body
// returns. Outside a scope such an error traps, naming the caller's file and line.

/// Runs `body`, turning the first shape or argument error of any op it calls through the
/// non-throwing API (`a.matmul(b)`, `a + b`, `relu(x)`, `mseLoss(y, t)`...) into a thrown
/// `OpError`.
///
/// ```swift
/// let a = Tensor<Float>([[1, 2, 3], [4, 5, 6]])
/// do {
///     try withError { _ = a.matmul(a) }
/// } catch {
///     print(error)   // matmul: inner dimensions differ: [2, 3] @ [2, 3]
/// }
/// ```
///
/// After the first error the body runs on: each op that failed returns an empty tensor
/// of shape `[0]`, and later errors are ignored, so the body's results mean nothing once
/// it has failed. An error the body throws itself is thrown as is, unless an op failed
/// first. Scopes nest (the innermost one records), and reach child tasks of the body.
public func withError<R>(_ body: () throws -> R) throws -> R {
    let scope = ErrorScope()
    let result: R
    do {
        result = try ErrorScope.$current.withValue(scope) { try body() }
    } catch {
        if let first = scope.first { throw first }
        throw error
    }
    if let first = scope.first { throw first }
    return result
}

/// `withError` for an asynchronous body.
public func withError<R>(_ body: () async throws -> R) async throws -> R {
    let scope = ErrorScope()
    let result: R
    do {
        result = try await ErrorScope.$current.withValue(scope) { try await body() }
    } catch {
        if let first = scope.first { throw first }
        throw error
    }
    if let first = scope.first { throw first }
    return result
}

/// Where ops called inside `withError` record their first error.
@usableFromInline
final class ErrorScope: Sendable {
    @TaskLocal static var current: ErrorScope?

    private let firstError = Mutex<OpError?>(nil)

    var first: OpError? { firstError.withLock { $0 } }

    func record(_ error: OpError) {
        firstError.withLock { if $0 == nil { $0 = error } }
    }
}

extension Tensor {
    /// What `applyOrTrap` does with an error: records it in the enclosing `withError`
    /// scope and returns a placeholder, or traps naming the caller's `file` and `line`.
    @usableFromInline
    @inline(never)
    static func failed(_ op: any Operator, _ error: OpError, file: StaticString, line: UInt) -> Tensor<T> {
        guard let scope = ErrorScope.current else {
            let name = type(of: op).signature.name
            let message = "\(error)"
            fatalError(message.hasPrefix(name) ? message : "\(name): \(message)", file: file, line: line)
        }
        scope.record(error)
        return Tensor(NDArray(shape: [0], data: []))
    }
}

extension Tensor {
    /// A misuse of the non-throwing API that no op reports (an element count `item()`
    /// cannot convert, a negative length, too many indices): recorded in the enclosing
    /// `withError` scope, which then throws it as an `OpError.shape`, with an empty
    /// placeholder handed back; outside a scope it traps, naming the caller's `file` and
    /// `line`, as an out-of-range index does.
    @usableFromInline
    @inline(never)
    static func misuse(_ message: String, file: StaticString, line: UInt) -> Tensor<T> {
        guard let scope = ErrorScope.current else { fatalError(message, file: file, line: line) }
        scope.record(.shape(message))
        return Tensor(NDArray(shape: [0], data: []))
    }
}

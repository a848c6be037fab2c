/// Updates a fixed list of parameters from their gradients, one `step()` at a time, with
/// the same arithmetic as `torch.optim`'s single-tensor (non-foreach) implementation.
///
/// ```swift
/// let optimizer = Adam(model.parameters, lr: 1e-2)
/// for _ in 0..<100 {
///     optimizer.zeroGrad()
///     let loss = crossEntropy(model(x), y)
///     try loss.backward()
///     optimizer.step()
/// }
/// ```
///
/// State (momentum buffers, moment estimates, step counts) is kept per parameter, aligned
/// with `parameters`. A parameter whose `grad` is `nil` is skipped and its state left
/// untouched, as torch does.
public protocol Optimizer<Scalar>: AnyObject {
    /// The element type of the parameters, `Float` or `Double`.
    associatedtype Scalar: Autograd.Scalar
    /// The tensors updated, in a fixed order.
    var parameters: [Tensor<Scalar>] { get }
    /// Updates every parameter that has a gradient, in place.
    func step()
    /// Forgets every parameter's gradient (torch's `zero_grad(set_to_none=True)`).
    func zeroGrad()
    /// The per-parameter state (momentum buffers, moments, step counts) named
    /// `i.field` by the parameter's index, as the `state` of torch's optimizer
    /// `state_dict()`. The default (an optimizer without state) is empty.
    func stateDict() -> StateDict<Scalar>
    /// Replaces the per-parameter state with `state`'s (Optimizer+State.swift).
    func load(_ state: StateDict<Scalar>, strict: Bool) throws(StateError)
}

extension Optimizer {
    @inlinable
    public func zeroGrad() {
        for p in parameters { p.zeroGrad() }
    }
}

extension Tensor {
    /// Runs `body(values, gradient, count)` over this tensor's values, writable in place,
    /// and its gradient: the one door through which optimizers change a tensor. Does
    /// nothing without a gradient. An optimizer walks the `count` elements once, in chunks
    /// split over the thread budget (`Parallel.forEachRange`) as the engine's elementwise
    /// kernels do; every element's update is the same code whichever chunk it falls in.
    @inline(__always)
    func updateInPlace(_ body: (UnsafeMutablePointer<T>, UnsafePointer<T>, Int) -> Void) {
        guard let grad else { return }
        precondition(grad.shape == value.shape, "optimizer: gradient shape \(grad.shape) differs from \(value.shape)")
        grad.data.withUnsafeBufferPointer { g in
            value.data.withUnsafeMutableBufferPointer { w in
                guard let wp = w.baseAddress, let gp = g.baseAddress else { return }
                body(wp, gp, w.count)
            }
        }
    }
}

/// A layer or model: a function of a tensor with trainable parameters.
public protocol Module<Scalar>: AnyObject {
    /// The element type, `Float` or `Double`.
    associatedtype Scalar: Autograd.Scalar
    /// The trainable tensors, in a fixed order. Found by reflection unless the module
    /// lists them (`namedParameters` says how).
    var parameters: [Tensor<Scalar>] { get }
    /// The trainable tensors with stable dotted names (`0.W`, `2.b`); found by reflection
    /// over stored properties by default (Module+State.swift).
    var namedParameters: [(name: String, tensor: Tensor<Scalar>)] { get }
    /// The non-trainable saved state (`Buffer`s) with dotted names; by reflection by default.
    var namedBuffers: [(name: String, buffer: Buffer<Scalar>)] { get }
    /// The layer applied to `x`; records the ops for `backward()`.
    func callAsFunction(_ x: Tensor<Scalar>) -> Tensor<Scalar>
}

extension Module {
    /// Forgets every parameter's gradient.
    @inlinable
    public func zeroGrad() {
        for p in parameters { p.zeroGrad() }
    }
}

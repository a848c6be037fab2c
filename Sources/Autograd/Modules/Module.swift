/// A layer or model: a function of a tensor with trainable parameters.
public protocol Module<Scalar>: AnyObject {
    associatedtype Scalar: Autograd.Scalar
    /// The trainable tensors, in a fixed order.
    var parameters: [Tensor<Scalar>] { get }
    func callAsFunction(_ x: Tensor<Scalar>) -> Tensor<Scalar>
}

extension Module {
    /// Forgets every parameter's gradient.
    @inlinable
    public func zeroGrad() {
        for p in parameters { p.zeroGrad() }
    }
}

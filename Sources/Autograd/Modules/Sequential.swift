/// Layers applied in order: `Sequential<Float>(Linear(...), ReLU(), Linear(...))`.
public final class Sequential<Scalar: Autograd.Scalar>: Module {
    public let layers: [any Module<Scalar>]

    public init(_ layers: [any Module<Scalar>]) { self.layers = layers }

    public convenience init(_ layers: any Module<Scalar>...) { self.init(layers) }

    // A closure, not `\.parameters`: Swift 6.3 crashes on a key path through `any Module<Scalar>`.
    /// Every layer's parameters, layer by layer, each in its layer's order.
    public var parameters: [Tensor<Scalar>] { layers.flatMap { $0.parameters } }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func callAsFunction(_ x: Tensor<Scalar>) -> Tensor<Scalar> {
        layers.reduce(x) { h, layer in layer(h) }
    }
}

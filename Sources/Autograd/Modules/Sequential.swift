/// Layers applied in order: `Sequential<Float>(Linear(...), ReLU(), Linear(...))`.
public final class Sequential<Scalar: Autograd.Scalar>: Module {
    /// The layers, in the order they are applied.
    public private(set) var layers: [any Module<Scalar>]

    /// The given layers, applied first to last.
    public init(_ layers: [any Module<Scalar>]) { self.layers = layers }

    /// The given layers, applied first to last.
    public convenience init(_ layers: any Module<Scalar>...) { self.init(layers) }

    // A closure, not `\.parameters`: Swift 6.3 crashes on a key path through `any Module<Scalar>`.
    /// Every layer's parameters, layer by layer, each in its layer's order.
    public var parameters: [Tensor<Scalar>] { layers.flatMap { $0.parameters } }

    /// Every layer's parameters named by the layer's index, as `nn.Sequential`: `0.W`, `2.b`.
    public var namedParameters: [(name: String, tensor: Tensor<Scalar>)] {
        layers.enumerated().flatMap { i, layer in layer.namedParameters.map { ("\(i).\($0.name)", $0.tensor) } }
    }

    /// Every layer's buffers named by the layer's index: `1.runningMean`.
    public var namedBuffers: [(name: String, buffer: Buffer<Scalar>)] {
        layers.enumerated().flatMap { i, layer in layer.namedBuffers.map { ("\(i).\($0.name)", $0.buffer) } }
    }

    /// Adds `layer` after the last, as `nn.Sequential.append`; its parameters are named by
    /// its new index.
    public func append(_ layer: any Module<Scalar>) { layers.append(layer) }

    /// Adds `newLayers` after the last, in order.
    public func append(contentsOf newLayers: [any Module<Scalar>]) { layers += newLayers }

    /// `x` through every layer in turn.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func callAsFunction(_ x: Tensor<Scalar>) -> Tensor<Scalar> {
        layers.reduce(x) { h, layer in layer(h) }
    }
}

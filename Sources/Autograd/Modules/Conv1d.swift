/// A 1-D convolution layer over `[N, C, L]`, as PyTorch's `nn.Conv1d`: weight
/// `[out, in / groups, k]` and optional bias `[out]`.
public final class Conv1d<Scalar: Autograd.Scalar>: Module {
    public let weight: Tensor<Scalar>
    public let bias: Tensor<Scalar>?
    public let stride: Int, padding: ConvPadding, dilation: Int, groups: Int

    /// A layer initialised as PyTorch's `nn.Conv1d`, drawn from `generator`.
    public init(
        inChannels: Int, outChannels: Int, kernelSize: Int, stride: Int = 1, padding: ConvPadding = .explicit([0]),
        dilation: Int = 1, groups: Int = 1, bias: Bool = true, generator: inout some RandomNumberGenerator
    ) {
        (weight, self.bias) = convParameters(
            weightShape: [outChannels, inChannels / max(groups, 1), kernelSize], bias: bias, biasCount: outChannels,
            generator: &generator)
        (self.stride, self.padding, self.dilation, self.groups) = (stride, padding, dilation, groups)
    }

    /// A layer initialised as PyTorch's `nn.Conv1d`, from a generator seeded with `seed`.
    public convenience init(
        inChannels: Int, outChannels: Int, kernelSize: Int, stride: Int = 1, padding: ConvPadding = .explicit([0]),
        dilation: Int = 1, groups: Int = 1, bias: Bool = true, seed: UInt64 = 0
    ) {
        var generator = SplitMix64(seed: seed)
        self.init(
            inChannels: inChannels, outChannels: outChannels, kernelSize: kernelSize, stride: stride, padding: padding,
            dilation: dilation, groups: groups, bias: bias, generator: &generator)
    }

    public var parameters: [Tensor<Scalar>] { bias.map { [weight, $0] } ?? [weight] }

    public func callAsFunction(_ x: Tensor<Scalar>) -> Tensor<Scalar> {
        conv1d(x, weight, bias: bias, stride: stride, padding: padding, dilation: dilation, groups: groups)
    }
}

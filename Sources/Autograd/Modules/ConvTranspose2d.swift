/// A transposed 2-D convolution layer over `[N, C, H, W]`, as PyTorch's
/// `nn.ConvTranspose2d`: weight `[in, out / groups, kH, kW]` and optional bias `[out]`.
public final class ConvTranspose2d<Scalar: Autograd.Scalar>: Module {
    public let weight: Tensor<Scalar>
    public let bias: Tensor<Scalar>?
    public let stride: [Int], padding: [Int], outputPadding: [Int], dilation: [Int], groups: Int

    /// A layer initialised as PyTorch's `nn.ConvTranspose2d` (fan-in from the weight's
    /// dimensions after the first, as torch computes it), drawn from `generator`.
    public init(
        inChannels: Int, outChannels: Int, kernelSize: [Int], stride: [Int] = [1], padding: [Int] = [0],
        outputPadding: [Int] = [0], dilation: [Int] = [1], groups: Int = 1, bias: Bool = true,
        generator: inout some RandomNumberGenerator
    ) {
        let k = kernelSize.count == 1 ? kernelSize + kernelSize : kernelSize
        (weight, self.bias) = convParameters(
            weightShape: [inChannels, outChannels / max(groups, 1)] + k, bias: bias, biasCount: outChannels,
            generator: &generator)
        (self.stride, self.padding, self.outputPadding, self.dilation, self.groups) =
            (stride, padding, outputPadding, dilation, groups)
    }

    /// A layer initialised as PyTorch's `nn.ConvTranspose2d`, from a generator seeded with `seed`.
    public convenience init(
        inChannels: Int, outChannels: Int, kernelSize: [Int], stride: [Int] = [1], padding: [Int] = [0],
        outputPadding: [Int] = [0], dilation: [Int] = [1], groups: Int = 1, bias: Bool = true, seed: UInt64 = 0
    ) {
        var generator = SplitMix64(seed: seed)
        self.init(
            inChannels: inChannels, outChannels: outChannels, kernelSize: kernelSize, stride: stride, padding: padding,
            outputPadding: outputPadding, dilation: dilation, groups: groups, bias: bias, generator: &generator)
    }

    public var parameters: [Tensor<Scalar>] { bias.map { [weight, $0] } ?? [weight] }

    public func callAsFunction(_ x: Tensor<Scalar>) -> Tensor<Scalar> {
        convTranspose2d(
            x, weight, bias: bias, stride: stride, padding: padding, outputPadding: outputPadding, dilation: dilation,
            groups: groups)
    }
}

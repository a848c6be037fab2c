// Pooling layers: parameterless modules that apply one op, for composing models.

/// 2-D max pooling as a layer, as PyTorch's `nn.MaxPool2d`.
public final class MaxPool2d<Scalar: Autograd.Scalar>: Module {
    public let kernelSize: [Int], stride: [Int]?, padding: [Int], dilation: [Int], ceilMode: Bool
    /// `stride` nil means `kernelSize`.
    public init(kernelSize: [Int], stride: [Int]? = nil, padding: [Int] = [0], dilation: [Int] = [1], ceilMode: Bool = false) {
        (self.kernelSize, self.stride, self.padding, self.dilation, self.ceilMode) = (kernelSize, stride, padding, dilation, ceilMode)
    }
    public var parameters: [Tensor<Scalar>] { [] }
    public func callAsFunction(_ x: Tensor<Scalar>) -> Tensor<Scalar> {
        maxPool2d(x, kernelSize: kernelSize, stride: stride, padding: padding, dilation: dilation, ceilMode: ceilMode)
    }
}

/// 2-D average pooling as a layer, as PyTorch's `nn.AvgPool2d`.
public final class AvgPool2d<Scalar: Autograd.Scalar>: Module {
    public let kernelSize: [Int], stride: [Int]?, padding: [Int], ceilMode: Bool, countIncludePad: Bool
    /// `stride` nil means `kernelSize`.
    public init(kernelSize: [Int], stride: [Int]? = nil, padding: [Int] = [0], ceilMode: Bool = false, countIncludePad: Bool = true) {
        (self.kernelSize, self.stride, self.padding, self.ceilMode, self.countIncludePad) = (kernelSize, stride, padding, ceilMode, countIncludePad)
    }
    public var parameters: [Tensor<Scalar>] { [] }
    public func callAsFunction(_ x: Tensor<Scalar>) -> Tensor<Scalar> {
        avgPool2d(x, kernelSize: kernelSize, stride: stride, padding: padding, ceilMode: ceilMode, countIncludePad: countIncludePad)
    }
}

/// 2-D convolution (cross-correlation), as `torch.nn.functional.conv2d`: x [N, C, H, W] (or
/// unbatched), weight [O, C / groups, kH, kW], optional bias [O]. Computed per sample as im2col + one gemm
/// per group (ConvKernels).
public struct Conv2dOp: Operator {
    public static let signature = OpSignature(
        name: "conv2d", arity: .range(2, 3), inputs: ["x", "weight", "bias"],
        attributes: Convolution.attributes(dims: 2),
        summary: "2-D convolution of x [N, C, H, W] with weight [O, C / groups, kH, kW] and optional bias [O]",
        pytorch: "torch.nn.functional.conv2d(x, weight, bias, stride, padding, dilation, groups)",
        shapeRule: "[N, O, H', W'] with H' = (H + padding total - dilation * (kH - 1) - 1) / stride + 1 (W' alike); unbatched [C, H, W] gives [O, H', W']",
        notes: Convolution.notes)

    let conv: Convolution

    /// A convolution with these settings; throws for a non-positive stride, dilation or
    /// groups, a negative padding, or "same" padding with a stride other than 1.
    public init(stride: [Int] = [1], padding: ConvPadding = .explicit([0]), dilation: [Int] = [1], groups: Int = 1) throws(OpError) {
        conv = try Convolution(dims: 2, stride: stride, padding: padding, dilation: dilation, groups: groups)
    }

    public init(attributes: Attributes) throws(OpError) {
        conv = try Convolution(dims: 2, attributes: attributes)
    }

    public func outputShape(_ inputs: [[Int]]) throws(OpError) -> [Int] {
        try conv.outputShape(inputs, name: Self.signature.name)
    }

    public func forward<T: Scalar>(_ x: [NDArray<T>]) -> NDArray<T> {
        conv.forward(x, name: Self.signature.name)
    }

    public func vjp<T: Scalar>(
        _ grad: NDArray<T>, inputs x: [NDArray<T>], output: NDArray<T>, needs: [Bool]
    ) -> [NDArray<T>?] {
        conv.vjp(grad, inputs: x, needs: needs, name: Self.signature.name)
    }
}

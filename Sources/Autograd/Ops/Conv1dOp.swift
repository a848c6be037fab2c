/// 1-D convolution (cross-correlation), as `torch.nn.functional.conv1d`: x [N, C, L] (or
/// unbatched), weight [O, C / groups, k], optional bias [O]. Computed per sample as im2col + one gemm
/// per group (ConvKernels).
public struct Conv1dOp: Operator {
    public static let signature = OpSignature(
        name: "conv1d", arity: .range(2, 3), inputs: ["x", "weight", "bias"],
        attributes: Convolution.attributes(dims: 1),
        summary: "1-D convolution of x [N, C, L] with weight [O, C / groups, k] and optional bias [O]",
        pytorch: "torch.nn.functional.conv1d(x, weight, bias, stride, padding, dilation, groups)",
        shapeRule: "[N, O, (L + padding total - dilation * (k - 1) - 1) / stride + 1]; unbatched [C, L] gives [O, ...]",
        notes: Convolution.notes)

    let conv: Convolution

    /// A convolution with these settings; throws for a non-positive stride, dilation or
    /// groups, a negative padding, or "same" padding with a stride other than 1.
    public init(stride: [Int] = [1], padding: ConvPadding = .explicit([0]), dilation: [Int] = [1], groups: Int = 1) throws(OpError) {
        conv = try Convolution(dims: 1, stride: stride, padding: padding, dilation: dilation, groups: groups)
    }

    public init(attributes: Attributes) throws(OpError) {
        conv = try Convolution(dims: 1, attributes: attributes)
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

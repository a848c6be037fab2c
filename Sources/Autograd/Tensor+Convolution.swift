// The Swift API of convolution and pooling: thin calls to the registered ops. A bad
// attribute or shape here is a programming error and traps with the op's message;
// `Tensor.apply` is the throwing form.

/// 1-D convolution of `x` `[N, C, L]` with `weight` `[O, C / groups, k]` and optional
/// `bias` `[O]`, as `torch.nn.functional.conv1d`.
public func conv1d<T>(
    _ x: Tensor<T>, _ weight: Tensor<T>, bias: Tensor<T>? = nil, stride: Int = 1,
    padding: ConvPadding = .explicit([0]), dilation: Int = 1, groups: Int = 1, file: StaticString = #fileID, line: UInt = #line) -> Tensor<T> {
    let op = Result { () throws(OpError) in try Conv1dOp(stride: [stride], padding: padding, dilation: [dilation], groups: groups) }
    return Tensor.applyOrTrap(trapping(op), [x, weight] + (bias.map { [$0] } ?? []), file: file, line: line)
}

/// 2-D convolution of `x` `[N, C, H, W]` with `weight` `[O, C / groups, kH, kW]` and
/// optional `bias` `[O]`, as `torch.nn.functional.conv2d`. `stride`, `dilation` and an
/// explicit padding take one value for both axes or one per axis.
public func conv2d<T>(
    _ x: Tensor<T>, _ weight: Tensor<T>, bias: Tensor<T>? = nil, stride: [Int] = [1],
    padding: ConvPadding = .explicit([0]), dilation: [Int] = [1], groups: Int = 1, file: StaticString = #fileID, line: UInt = #line) -> Tensor<T> {
    let op = Result { () throws(OpError) in try Conv2dOp(stride: stride, padding: padding, dilation: dilation, groups: groups) }
    return Tensor.applyOrTrap(trapping(op), [x, weight] + (bias.map { [$0] } ?? []), file: file, line: line)
}

/// Transposed 2-D convolution of `x` `[N, Cin, H, W]` with `weight`
/// `[Cin, Cout / groups, kH, kW]` and optional `bias` `[Cout]`, as
/// `torch.nn.functional.conv_transpose2d`.
public func convTranspose2d<T>(
    _ x: Tensor<T>, _ weight: Tensor<T>, bias: Tensor<T>? = nil, stride: [Int] = [1], padding: [Int] = [0],
    outputPadding: [Int] = [0], dilation: [Int] = [1], groups: Int = 1, file: StaticString = #fileID, line: UInt = #line) -> Tensor<T> {
    let op = Result { () throws(OpError) in
        try ConvTranspose2dOp(stride: stride, padding: padding, outputPadding: outputPadding, dilation: dilation, groups: groups)
    }
    return Tensor.applyOrTrap(trapping(op), [x, weight] + (bias.map { [$0] } ?? []), file: file, line: line)
}

/// 2-D max pooling of `x` `[N, C, H, W]`, as `torch.nn.functional.max_pool2d`; `stride`
/// nil means `kernelSize`.
public func maxPool2d<T>(
    _ x: Tensor<T>, kernelSize: [Int], stride: [Int]? = nil, padding: [Int] = [0], dilation: [Int] = [1],
    ceilMode: Bool = false, file: StaticString = #fileID, line: UInt = #line) -> Tensor<T> {
    let op = Result { () throws(OpError) in
        try MaxPool2dOp(kernelSize: kernelSize, stride: stride, padding: padding, dilation: dilation, ceilMode: ceilMode)
    }
    return Tensor.applyOrTrap(trapping(op), [x], file: file, line: line)
}

/// 2-D average pooling of `x` `[N, C, H, W]`, as `torch.nn.functional.avg_pool2d`.
public func avgPool2d<T>(
    _ x: Tensor<T>, kernelSize: [Int], stride: [Int]? = nil, padding: [Int] = [0], ceilMode: Bool = false,
    countIncludePad: Bool = true, file: StaticString = #fileID, line: UInt = #line) -> Tensor<T> {
    let op = Result { () throws(OpError) in
        try AvgPool2dOp(kernelSize: kernelSize, stride: stride, padding: padding, ceilMode: ceilMode, countIncludePad: countIncludePad)
    }
    return Tensor.applyOrTrap(trapping(op), [x], file: file, line: line)
}

/// Adaptive 2-D average pooling of `x` `[N, C, H, W]` to `outputSize` (`[H, W]` or one size
/// for both), as `torch.nn.functional.adaptive_avg_pool2d`.
public func adaptiveAvgPool2d<T>(_ x: Tensor<T>, outputSize: [Int], file: StaticString = #fileID, line: UInt = #line) -> Tensor<T> {
    let op = Result { () throws(OpError) in try AdaptiveAvgPool2dOp(outputSize: outputSize) }
    return Tensor.applyOrTrap(trapping(op), [x], file: file, line: line)
}

/// The op, or a trap with its attribute error (a programming error in the Swift API).
private func trapping<Op: Operator>(_ op: Result<Op, OpError>) -> Op {
    switch op {
    case .success(let op): return op
    case .failure(let error): preconditionFailure("\(Op.signature.name): \(error)")
    }
}

import Autograd

/// Op-table rows for convolution and pooling: strides, padding (explicit, "valid", "same"
/// with even kernels), dilation, groups, output_padding, ceil_mode, count_include_pad,
/// 1x1 kernels and kernels the size of the input.
let convolutionCases: [OpCase] = {
    var cases: [OpCase] = []
    func conv(_ op: String, _ x: [Int], _ w: [Int], bias: Int? = nil, _ attrs: [String: AttributeValue] = [:]) {
        cases.append(OpCase(op, [x, w] + (bias.map { [[$0]] } ?? []), attrs: attrs))
    }
    conv("conv1d", [2, 3, 7], [4, 3, 3], bias: 4)
    conv("conv1d", [2, 2, 8], [3, 2, 3], ["stride": .int(2), "padding": .int(1)])
    conv("conv1d", [1, 4, 9], [4, 2, 3], bias: 4, ["dilation": .int(2), "groups": .int(2)])
    conv("conv1d", [2, 2, 7], [3, 2, 4], bias: 3, ["padding": .string("same")])
    conv("conv1d", [3, 6], [2, 3, 6], ["padding": .string("valid")])
    conv("conv2d", [2, 3, 5, 5], [4, 3, 3, 3], bias: 4)
    conv("conv2d", [2, 2, 6, 7], [3, 2, 3, 3], bias: 3, ["stride": .int(2), "padding": .int(1)])
    conv("conv2d", [1, 2, 7, 8], [2, 2, 3, 2], ["stride": .ints([2, 1]), "padding": .ints([1, 2]), "dilation": .ints([1, 2])])
    conv("conv2d", [2, 4, 5, 5], [6, 2, 3, 3], bias: 6, ["groups": .int(2), "padding": .int(1)])
    conv("conv2d", [1, 3, 5, 4], [3, 1, 3, 3], ["groups": .int(3), "dilation": .int(2), "padding": .int(2)])
    conv("conv2d", [2, 2, 5, 6], [3, 2, 2, 4], bias: 3, ["padding": .string("same")])
    conv("conv2d", [2, 3, 3, 4], [5, 3, 1, 1], bias: 5)
    conv("conv2d", [2, 2, 3, 4], [3, 2, 3, 4], bias: 3)
    conv("conv2d", [1, 7, 7], [2, 1, 2, 2], ["stride": .int(3)])
    conv("conv_transpose2d", [2, 3, 3, 4], [3, 2, 3, 3], bias: 2)
    conv("conv_transpose2d", [1, 2, 3, 4], [2, 2, 3, 3], bias: 2, ["stride": .int(2), "padding": .int(1), "output_padding": .int(1)])
    conv("conv_transpose2d", [1, 2, 3, 3], [2, 1, 2, 2], ["dilation": .int(2), "output_padding": .int(1)])
    conv("conv_transpose2d", [1, 2, 3, 4], [2, 2, 2, 3], bias: 2, [
        "stride": .ints([2, 1]), "padding": .ints([0, 1]), "dilation": .ints([1, 2]), "output_padding": .ints([1, 0]),
    ])
    conv("conv_transpose2d", [2, 4, 3, 3], [4, 3, 2, 2], bias: 6, ["groups": .int(2), "stride": .int(2)])
    conv("conv_transpose2d", [2, 3, 2, 3], [3, 4, 1, 1])

    func pool(_ op: String, _ x: [Int], _ attrs: [String: AttributeValue]) {
        cases.append(OpCase(op, [x], attrs: attrs))
    }
    pool("max_pool2d", [2, 3, 4, 4], ["kernel_size": .int(2)])
    pool("max_pool2d", [2, 2, 6, 7], ["kernel_size": .int(3), "stride": .int(2), "padding": .int(1)])
    pool("max_pool2d", [1, 2, 6, 7], ["kernel_size": .ints([2, 3]), "stride": .ints([2, 1]), "padding": .ints([1, 1])])
    pool("max_pool2d", [1, 2, 7, 7], ["kernel_size": .int(2), "stride": .int(1), "dilation": .int(2)])
    pool("max_pool2d", [1, 2, 5, 5], ["kernel_size": .int(2), "ceil_mode": .bool(true)])
    pool("max_pool2d", [1, 1, 6, 6], ["kernel_size": .int(3), "stride": .int(2), "padding": .int(1), "ceil_mode": .bool(true)])
    pool("max_pool2d", [2, 3, 3], ["kernel_size": .int(3)])
    for include in [true, false] {
        let c: [String: AttributeValue] = ["count_include_pad": .bool(include)]
        pool("avg_pool2d", [1, 2, 6, 7], c.merging(["kernel_size": .int(3), "stride": .int(2), "padding": .int(1)]) { a, _ in a })
        pool("avg_pool2d", [1, 1, 6, 6], c.merging(["kernel_size": .int(3), "stride": .int(2), "padding": .int(1), "ceil_mode": .bool(true)]) { a, _ in a })
    }
    pool("avg_pool2d", [2, 3, 4, 4], ["kernel_size": .int(2)])
    pool("avg_pool2d", [1, 2, 5, 5], ["kernel_size": .int(2), "ceil_mode": .bool(true)])
    pool("avg_pool2d", [1, 2, 5, 7], ["kernel_size": .ints([2, 3]), "stride": .ints([1, 2]), "padding": .ints([1, 0])])
    pool("avg_pool2d", [2, 3, 3], ["kernel_size": .int(3)])
    pool("adaptive_avg_pool2d", [2, 3, 4, 6], ["output_size": .ints([2, 3])])
    pool("adaptive_avg_pool2d", [1, 2, 5, 7], ["output_size": .ints([3, 4])])
    pool("adaptive_avg_pool2d", [2, 5, 5], ["output_size": .int(1)])
    pool("adaptive_avg_pool2d", [1, 1, 2, 3], ["output_size": .ints([4, 5])])
    return cases
}()

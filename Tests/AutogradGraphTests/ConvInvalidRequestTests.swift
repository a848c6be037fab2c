import AutogradGraph
import Testing

/// A graph of one convolution or pooling op `y` over x (and a weight and bias when
/// given), summed into the loss.
private func convGraph(
    _ op: String, x: [Int], weight: [Int]? = nil, bias: [Int]? = nil, attrs: String = "{}"
) -> String {
    func tensor(_ shape: [Int]) -> String {
        #"{"shape": \#(shape), "data": [\#((0..<shape.reduce(1, *)).map { _ in "0.5" }.joined(separator: ", "))], "requires_grad": true}"#
    }
    var tensors = [#""x": \#(tensor(x))"#], inputs = [#""x""#]
    if let weight { tensors.append(#""w": \#(tensor(weight))"#); inputs.append(#""w""#) }
    if let bias { tensors.append(#""b": \#(tensor(bias))"#); inputs.append(#""b""#) }
    return #"{"tensors": {\#(tensors.joined(separator: ", "))}, "ops": [{"id": "y", "op": "\#(op)", "inputs": [\#(inputs.joined(separator: ", "))], "attrs": \#(attrs)}, {"id": "loss", "op": "sum", "inputs": ["y"]}], "loss": "loss"}"#
}

/// What torch refuses in convolution and pooling, each a 422 pointing at the op (shapes)
/// or at the attribute.
let convBadRequests: [BadRequest] = [
    BadRequest(label: "conv2d: x's channels differ from the weight's", body: convGraph("conv2d", x: [1, 3, 5, 5], weight: [4, 2, 3, 3]), status: 422, pointers: ["/ops/0"]),
    BadRequest(label: "conv2d: groups do not divide the channels", body: convGraph("conv2d", x: [1, 4, 5, 5], weight: [6, 2, 3, 3], attrs: #"{"groups": 3}"#), status: 422, pointers: ["/ops/0"]),
    BadRequest(label: "conv2d: groups do not divide the out-channels", body: convGraph("conv2d", x: [1, 4, 5, 5], weight: [5, 2, 3, 3], attrs: #"{"groups": 2}"#), status: 422, pointers: ["/ops/0"]),
    BadRequest(label: "conv2d: groups 0", body: convGraph("conv2d", x: [1, 4, 5, 5], weight: [4, 4, 3, 3], attrs: #"{"groups": 0}"#), status: 422, pointers: ["/ops/0/attrs/groups"]),
    BadRequest(label: "conv2d: kernel larger than the padded input", body: convGraph("conv2d", x: [1, 1, 3, 3], weight: [1, 1, 5, 5], attrs: #"{"padding": [0, 1]}"#), status: 422, pointers: ["/ops/0"]),
    BadRequest(label: "conv2d: dilated kernel larger than the input", body: convGraph("conv2d", x: [1, 1, 4, 4], weight: [1, 1, 2, 2], attrs: #"{"dilation": 4}"#), status: 422, pointers: ["/ops/0"]),
    BadRequest(label: "conv2d: unknown padding word", body: convGraph("conv2d", x: [1, 1, 4, 4], weight: [1, 1, 2, 2], attrs: #"{"padding": "full"}"#), status: 422, pointers: ["/ops/0/attrs/padding"]),
    BadRequest(label: "conv2d: \"same\" with stride 2", body: convGraph("conv2d", x: [1, 1, 4, 4], weight: [1, 1, 2, 2], attrs: #"{"padding": "same", "stride": 2}"#), status: 422, pointers: ["/ops/0/attrs/padding"]),
    BadRequest(label: "conv2d: negative padding", body: convGraph("conv2d", x: [1, 1, 4, 4], weight: [1, 1, 2, 2], attrs: #"{"padding": -1}"#), status: 422, pointers: ["/ops/0/attrs/padding"]),
    BadRequest(label: "conv2d: stride 0", body: convGraph("conv2d", x: [1, 1, 4, 4], weight: [1, 1, 2, 2], attrs: #"{"stride": [1, 0]}"#), status: 422, pointers: ["/ops/0/attrs/stride"]),
    BadRequest(label: "conv2d: three strides for two axes", body: convGraph("conv2d", x: [1, 1, 4, 4], weight: [1, 1, 2, 2], attrs: #"{"stride": [1, 1, 1]}"#), status: 422, pointers: ["/ops/0/attrs/stride"]),
    BadRequest(label: "conv2d: dilation 0", body: convGraph("conv2d", x: [1, 1, 4, 4], weight: [1, 1, 2, 2], attrs: #"{"dilation": 0}"#), status: 422, pointers: ["/ops/0/attrs/dilation"]),
    BadRequest(label: "conv2d: bias of the wrong length", body: convGraph("conv2d", x: [1, 1, 4, 4], weight: [2, 1, 2, 2], bias: [3]), status: 422, pointers: ["/ops/0"]),
    BadRequest(label: "conv2d: a 2-D x", body: convGraph("conv2d", x: [4, 4], weight: [1, 1, 2, 2]), status: 422, pointers: ["/ops/0"]),
    BadRequest(label: "conv2d: a 3-D weight", body: convGraph("conv2d", x: [1, 1, 4, 4], weight: [1, 1, 2]), status: 422, pointers: ["/ops/0"]),
    BadRequest(label: "conv1d: a 4-D x", body: convGraph("conv1d", x: [1, 1, 4, 4], weight: [1, 1, 2]), status: 422, pointers: ["/ops/0"]),
    BadRequest(label: "conv1d: \"same\" with stride 2", body: convGraph("conv1d", x: [1, 1, 6], weight: [1, 1, 2], attrs: #"{"padding": "same", "stride": 2}"#), status: 422, pointers: ["/ops/0/attrs/padding"]),
    BadRequest(label: "conv1d: kernel larger than the input", body: convGraph("conv1d", x: [1, 1, 3], weight: [1, 1, 4]), status: 422, pointers: ["/ops/0"]),
    BadRequest(label: "conv_transpose2d: output_padding not below stride or dilation", body: convGraph("conv_transpose2d", x: [1, 1, 3, 3], weight: [1, 1, 3, 3], attrs: #"{"stride": 2, "output_padding": 2}"#), status: 422, pointers: ["/ops/0/attrs/output_padding"]),
    BadRequest(label: "conv_transpose2d: x's channels differ from the weight's", body: convGraph("conv_transpose2d", x: [1, 2, 3, 3], weight: [3, 1, 3, 3]), status: 422, pointers: ["/ops/0"]),
    BadRequest(label: "conv_transpose2d: groups do not divide the channels", body: convGraph("conv_transpose2d", x: [1, 3, 3, 3], weight: [3, 1, 3, 3], attrs: #"{"groups": 2}"#), status: 422, pointers: ["/ops/0"]),
    BadRequest(label: "conv_transpose2d: padding leaves no output", body: convGraph("conv_transpose2d", x: [1, 1, 1, 1], weight: [1, 1, 2, 2], attrs: #"{"padding": 1}"#), status: 422, pointers: ["/ops/0"]),
    BadRequest(label: "conv_transpose2d: a padding word", body: convGraph("conv_transpose2d", x: [1, 1, 3, 3], weight: [1, 1, 3, 3], attrs: #"{"padding": "same"}"#), status: 422, pointers: ["/ops/0/attrs/padding"]),
    BadRequest(label: "max_pool2d: kernel_size missing", body: convGraph("max_pool2d", x: [1, 1, 4, 4]), status: 422, pointers: ["/ops/0/attrs/kernel_size"]),
    BadRequest(label: "max_pool2d: kernel_size null", body: convGraph("max_pool2d", x: [1, 1, 4, 4], attrs: #"{"kernel_size": null}"#), status: 422, pointers: ["/ops/0/attrs/kernel_size"]),
    BadRequest(label: "max_pool2d: padding over half the kernel", body: convGraph("max_pool2d", x: [1, 1, 4, 4], attrs: #"{"kernel_size": 2, "padding": 2}"#), status: 422, pointers: ["/ops/0/attrs/padding"]),
    BadRequest(label: "max_pool2d: kernel larger than the input", body: convGraph("max_pool2d", x: [1, 1, 3, 3], attrs: #"{"kernel_size": 4}"#), status: 422, pointers: ["/ops/0"]),
    BadRequest(label: "max_pool2d: stride 0", body: convGraph("max_pool2d", x: [1, 1, 4, 4], attrs: #"{"kernel_size": 2, "stride": 0}"#), status: 422, pointers: ["/ops/0/attrs/stride"]),
    BadRequest(label: "max_pool2d: empty spatial axis", body: convGraph("max_pool2d", x: [1, 1, 0, 4], attrs: #"{"kernel_size": 1}"#), status: 422, pointers: ["/ops/0"]),
    BadRequest(label: "avg_pool2d: a 2-D x", body: convGraph("avg_pool2d", x: [4, 4], attrs: #"{"kernel_size": 2}"#), status: 422, pointers: ["/ops/0"]),
    BadRequest(label: "avg_pool2d: kernel_size 0", body: convGraph("avg_pool2d", x: [1, 1, 4, 4], attrs: #"{"kernel_size": [2, 0]}"#), status: 422, pointers: ["/ops/0/attrs/kernel_size"]),
    BadRequest(label: "avg_pool2d: count_include_pad not a boolean", body: convGraph("avg_pool2d", x: [1, 1, 4, 4], attrs: #"{"kernel_size": 2, "count_include_pad": 1}"#), status: 422, pointers: ["/ops/0/attrs/count_include_pad"]),
    BadRequest(label: "adaptive_avg_pool2d: output_size missing", body: convGraph("adaptive_avg_pool2d", x: [1, 1, 4, 4]), status: 422, pointers: ["/ops/0/attrs/output_size"]),
    BadRequest(label: "adaptive_avg_pool2d: negative output_size", body: convGraph("adaptive_avg_pool2d", x: [1, 1, 4, 4], attrs: #"{"output_size": [2, -1]}"#), status: 422, pointers: ["/ops/0/attrs/output_size"]),
    BadRequest(label: "adaptive_avg_pool2d: three sizes", body: convGraph("adaptive_avg_pool2d", x: [1, 1, 4, 4], attrs: #"{"output_size": [2, 2, 2]}"#), status: 422, pointers: ["/ops/0/attrs/output_size"]),
]

@Suite struct ConvInvalidRequestTests {
    @Test(arguments: convBadRequests)
    func answersWithAProblemAndPointers(_ c: BadRequest) throws {
        try InvalidRequestTests().answersWithAProblemAndPointers(c)
    }

    /// The same graphs with the fault removed compute: the cases fail for their fault.
    @Test func theValidNeighboursCompute() {
        for body in [
            convGraph("conv2d", x: [1, 4, 5, 5], weight: [6, 2, 3, 3], attrs: #"{"groups": 2}"#),
            convGraph("conv2d", x: [1, 1, 4, 4], weight: [1, 1, 2, 2], attrs: #"{"padding": "same"}"#),
            convGraph("conv1d", x: [1, 1, 6], weight: [1, 1, 2], attrs: #"{"padding": "same"}"#),
            convGraph("conv_transpose2d", x: [1, 1, 3, 3], weight: [1, 1, 3, 3], attrs: #"{"stride": 2, "output_padding": 1}"#),
            convGraph("max_pool2d", x: [1, 1, 4, 4], attrs: #"{"kernel_size": 2, "padding": 1}"#),
            convGraph("adaptive_avg_pool2d", x: [1, 1, 4, 4], attrs: #"{"output_size": [2, 0]}"#),
        ] {
            let response = GraphService().respond(to: .backward, body: Array(body.utf8))
            #expect(response.status == 200, "\(String(decoding: response.body.prefix(300), as: UTF8.self))")
        }
    }
}

import Autograd
import AutogradGraph

/// One model's expansion into one request, in the order the contract states: the model's
/// opset and float type, name clashes, initializers (overridden by the request's tensors
/// of the same name), graph inputs (given in the request), then each node in order.
struct ModelExpansion {
    let model: Onnx_ModelProto
    /// Initializers' `raw_data` already read into values, by index (`ParsedModel`).
    var weights: [Int: ONNXWeights] = [:]
    let trainable: [String]?
    let limits: GraphLimits

    private var graph: Onnx_GraphProto { model.graph }

    func apply(to request: inout GraphRequest) throws(PlacedFailure) {
        try checkOpsets()
        let dtype = try floatType()
        guard dtype == nil || dtype == request.dtype else {
            throw PlacedFailure(pointer: "/dtype", detail: "the model computes in \(dtype!.rawValue); send \"dtype\": \"\(dtype!.rawValue)\"")
        }
        let requestTensors = Dictionary(request.tensors.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { a, _ in a })
        let initializerNames = Set(graph.initializer.map(\.name))
        let nodeOutputs = graph.node.flatMap(\.output).filter { !$0.isEmpty }

        // Clashes: the request's ops may not reuse a model name; its tensors may only be
        // an initializer (an override) or a graph input.
        let modelNames = initializerNames.union(graph.input.map(\.name)).union(nodeOutputs)
        for (i, op) in request.ops.enumerated() where modelNames.contains(op.id) {
            throw PlacedFailure(pointer: "/ops/\(i)/id", detail: "\"\(op.id.prefix(64))\" is a name of the ONNX model; choose another id")
        }
        for name in nodeOutputs where requestTensors[name] != nil || request.invalidTensorNames.contains(name) {
            throw PlacedFailure(pointer: Pointer.join("/tensors", name), detail: "\"\(name.prefix(64))\" is computed by the ONNX model (a node output); it cannot be given as a tensor")
        }

        // Trainable initializers: the request's list, or every float one of rank >= 1.
        var trainableSet: Set<String>?
        if let trainable {
            for (i, name) in trainable.enumerated() where !initializerNames.contains(name) {
                throw PlacedFailure(pointer: "/onnx/trainable/\(i)", detail: "the model has no initializer \"\(name.prefix(64))\"")
            }
            trainableSet = Set(trainable)
        }

        // BatchNormalization's mean and var are buffers, not parameters: torch trains neither,
        // so they are constants unless "trainable" names them.
        let buffers = Set(graph.node.filter { $0.opType == "BatchNormalization" && ($0.domain.isEmpty || $0.domain == "ai.onnx") }
            .flatMap { $0.input.dropFirst(3).prefix(2) })

        var ctx = ModelImport(
            dtype: request.dtype, maxElements: limits.maxElements,
            taken: Set(request.tensors.map(\.name)).union(request.ops.map(\.id)).union(request.invalidTensorNames),
            elements: request.tensors.reduce(0) { $0 + $1.data.count })
        var replaced = Set<String>()
        var kept: [TensorInput] = []
        var initialized = Set<String>()
        for (k, proto) in graph.initializer.enumerated() {
            let name = proto.name
            let pointer = "/onnx"
            guard !name.isEmpty else { throw PlacedFailure(pointer: pointer, detail: "initializer \(k) has no name") }
            guard initialized.insert(name).inserted else {
                throw PlacedFailure(pointer: pointer, detail: "initializer \(k): \"\(name.prefix(64))\" names an earlier initializer too")
            }
            let data: ONNXTensorData
            do {
                data = try ONNXTensorData(proto, raw: weights[k], maxElements: limits.maxElements)
            } catch {
                throw PlacedFailure(pointer: pointer, detail: "initializer \"\(name.prefix(64))\": \(error.detail)")
            }
            let isTrainable = trainableSet.map { $0.contains(name) } ?? (data.type.isFloat && !data.shape.isEmpty && !buffers.contains(name))
            if isTrainable && !data.type.isFloat {
                let i = trainable?.firstIndex(of: name) ?? 0
                throw PlacedFailure(pointer: "/onnx/trainable/\(i)", detail: "initializer \"\(name.prefix(64))\" holds \(ONNXElementType.name(data.type.rawValue)) values; only float ones train")
            }
            if let j = requestTensors[name] {
                // The request's value replaces the model's; trainability stays the model's.
                let given = request.tensors[j]
                guard given.shape == data.shape else {
                    throw PlacedFailure(pointer: given.pointer, detail: "overrides the model's initializer \"\(name.prefix(64))\" of shape \(Shape.describe(data.shape)) with shape \(Shape.describe(given.shape))")
                }
                kept.append(TensorInput(imported: name, shape: given.shape, data: given.data, requiresGrad: isTrainable || given.requiresGrad, pointer: given.pointer))
                replaced.insert(name)
                ctx.define(name, Operand(name: name, value: .runtime(shape: data.shape)))
                continue
            }
            if request.invalidTensorNames.contains(name) { continue }
            guard ctx.elements + data.count <= limits.maxElements else {
                throw PlacedFailure(pointer: pointer, detail: "initializer \"\(name.prefix(64))\" would bring the request to more than \(limits.maxElements) elements")
            }
            ctx.elements += data.count
            ctx.addTensor(TensorInput(imported: name, shape: data.shape, data: data.tensorValues(request.dtype), requiresGrad: isTrainable, pointer: pointer))
            let value: Operand.Value = isTrainable
                ? .runtime(shape: data.shape)
                : .constant(Constant(shape: data.shape, values: data.values, isInteger: !data.type.isFloat))
            ctx.define(name, Operand(name: name, value: value))
        }

        // Graph inputs that are not initializers come from the request.
        for input in graph.input where !initializerNames.contains(input.name) {
            let pointer = Pointer.join("/tensors", input.name)
            guard let j = requestTensors[input.name] else {
                if request.invalidTensorNames.contains(input.name) { continue }
                throw PlacedFailure(pointer: pointer, detail: "the model's graph input \"\(input.name.prefix(64))\" must be given in tensors" + Self.describe(input))
            }
            let given = request.tensors[j]
            if input.type.tensorType.hasShape {
                let dims = input.type.tensorType.shape.dim
                guard dims.count == given.shape.count else {
                    throw PlacedFailure(pointer: pointer, detail: "has rank \(given.shape.count); the model's input has rank \(dims.count)" + Self.describe(input))
                }
                for (d, dim) in dims.enumerated() {
                    if case .dimValue(let v)? = dim.value, v != given.shape[d] {
                        throw PlacedFailure(pointer: pointer, detail: "has shape \(Shape.describe(given.shape))" + Self.describe(input))
                    }
                }
            }
            if let t = ONNXElementType(rawValue: input.type.tensorType.elemType), t == .bool {
                throw PlacedFailure(pointer: pointer, detail: "the model's input is BOOL; bool inputs are not supported")
            }
            // An integer input (axes, a shape, indices) is known now: it never has a gradient,
            // and the ops that need their operand at import (Reshape, Unsqueeze) can read it.
            if let t = ONNXElementType(rawValue: input.type.tensorType.elemType), !t.isFloat {
                let c = Constant(shape: given.shape, values: given.data.array(Double.self), isInteger: true)
                ctx.define(input.name, Operand(name: input.name, value: .constant(c)))
                continue
            }
            if !given.requiresGrad {
                ctx.given[input.name] = given
            }
            ctx.define(input.name, Operand(name: input.name, value: .runtime(shape: given.shape)))
        }

        // The nodes, in the order the format guarantees is topological.
        for (index, proto) in graph.node.enumerated() {
            let node = ONNXNode(index: index, proto: proto)
            do {
                try Self.importNode(node, &ctx)
            } catch {
                throw PlacedFailure(pointer: "/onnx", detail: "\(node.label): \(error.detail)")
            }
        }

        // Values the request names (its ops' inputs, loss, outputs) and the model's outputs
        // exist at run time even when the import computed them.
        var named = request.ops.flatMap(\.inputs) + graph.output.map(\.name)
        named += [request.loss].compactMap { $0 } + (request.outputs ?? [])
        for name in named {
            guard let operand = ctx.values[name] else { continue }
            do { _ = try ctx.runtimeName(operand) } catch {
                throw PlacedFailure(pointer: "/onnx", detail: "value \"\(name.prefix(64))\": \(error.detail)")
            }
        }

        let others = request.tensors.filter { !replaced.contains($0.name) }
        request.tensors = kept + ctx.tensors + others
        request.ops = ctx.ops + request.ops
    }

    private static func importNode(_ node: ONNXNode, _ ctx: inout ModelImport) throws(ImportFailure) {
        guard node.proto.domain.isEmpty || node.proto.domain == "ai.onnx" else {
            throw ImportFailure("operators of domain \"\(node.proto.domain.prefix(64))\" are not supported; GET /ops lists the supported ones")
        }
        guard let entry = ONNXOps.table[node.opType] else {
            throw ImportFailure("operator \(node.opType.prefix(64)) is not supported; GET /ops lists the supported ones")
        }
        for a in node.proto.attribute where !entry.attributes.contains(a.name) {
            throw ImportFailure("attribute \"\(a.name.prefix(64))\" is not supported")
        }
        guard !node.outputs.isEmpty, !node.outputs[0].isEmpty else { throw ImportFailure("the node has no output") }
        for o in node.outputs where !o.isEmpty {
            guard ctx.values[o] == nil else { throw ImportFailure("output \"\(o.prefix(64))\" is already defined") }
        }
        let results = try entry.handler(&ctx, node)
        for (k, name) in node.outputs.enumerated() where !name.isEmpty {
            guard k < results.count else { throw ImportFailure("output \(k) is not supported") }
            try ctx.bind(results[k], to: name)
        }
    }

    /// The default domain's opset must be one whose operator semantics the table follows.
    private func checkOpsets() throws(PlacedFailure) {
        for o in model.opsetImport where o.domain.isEmpty || o.domain == "ai.onnx" {
            guard ONNXOps.opsets.contains(Int(clamping: o.version)) else {
                throw PlacedFailure(pointer: "/onnx", detail: "opset \(o.version) of the default domain is not supported; opsets \(ONNXOps.opsets.lowerBound) to \(ONNXOps.opsets.upperBound) are (re-export with opset_version in that range)")
            }
        }
    }

    /// The model's float type: that of its float initializers and inputs, which must agree.
    private func floatType() throws(PlacedFailure) -> DType? {
        var types = graph.initializer.map(\.dataType) + graph.input.map(\.type.tensorType.elemType)
        types += graph.output.map(\.type.tensorType.elemType)
        var found: DType?
        for t in types {
            let d: DType
            switch t {
            case 1: d = .float32
            case 11: d = .float64
            case 10, 16: throw PlacedFailure(pointer: "/onnx", detail: "\(ONNXElementType.name(t)) models are not supported; export in float32 or float64")
            default: continue
            }
            if let f = found, f != d { throw PlacedFailure(pointer: "/onnx", detail: "the model mixes FLOAT and DOUBLE values") }
            found = d
        }
        return found
    }

    /// "; the model declares [batch, 4] (FLOAT)": an input's declared type for a detail.
    private static func describe(_ input: Onnx_ValueInfoProto) -> String {
        guard input.type.tensorType.hasShape else { return "" }
        let dims = input.type.tensorType.shape.dim.map { dim -> String in
            switch dim.value {
            case .dimValue(let v)?: "\(v)"
            case .dimParam(let p)?: p.isEmpty ? "?" : String(p.prefix(32))
            case nil: "?"
            }
        }
        return "; the model declares [\(dims.joined(separator: ", "))] (\(ONNXElementType.name(input.type.tensorType.elemType)))"
    }
}

import Autograd

/// Turns a parsed JSON document into a `GraphRequest`, collecting a problem with a pointer
/// for everything wrong rather than stopping at the first.
struct RequestDecoder {
    let endpoint: Endpoint
    let limits: GraphLimits
    var problems = ProblemList()
    /// The request's dtype, decoded first: packed and base64 values are made in it.
    var dtype: DType = .float32
    /// Elements of the tensors decoded so far: the request's tensors together stay within
    /// `limits.maxElements`, checked before an `init` makes or data is copied into any.
    private(set) var elements = 0
    /// Expands a model field (`"onnx"`) into tensors and ops, when the service has one.
    let importer: (any GraphImporter)?

    init(endpoint: Endpoint, limits: GraphLimits, importer: (any GraphImporter)? = nil) {
        self.endpoint = endpoint
        self.limits = limits
        self.importer = importer
    }

    /// Decodes `document`, recording every problem found in `problems`; throws only when
    /// the document is not an object at all.
    mutating func decode(_ document: JSONValue) throws(Problem) -> GraphRequest {
        guard case .object(let root) = document else {
            problems.wrongType("", "the request body must be a JSON object, not \(document.kindName)")
            throw problems.problem
        }
        var request = GraphRequest()
        let allowed = endpoint.fields + (importer.map { [$0.field] } ?? [])
        for key in root.keys where !allowed.contains(key) {
            problems.invalid(Pointer.join("", key), "unknown field; expected one of: " + allowed.joined(separator: ", "))
        }
        if let v = root["dtype"] { request.dtype = decodeDType(v) }
        dtype = request.dtype
        if let v = root["encoding"] { request.encoding = decodeEncoding(v) }
        decodeTensors(root["tensors"], into: &request)
        decodeOps(root["ops"], into: &request)
        request.loss = optionalName(root["loss"], at: "/loss")
        // A field the endpoint does not take was reported as unknown: it has no other effect.
        let fields = endpoint.fields
        if let seed = root["seed"], fields.contains("seed") {
            request.seed = decodeTensor(seed, name: "seed", at: "/seed", allowRequiresGrad: false)
        }
        if fields.contains("outputs") { request.outputs = optionalNames(root["outputs"], at: "/outputs") }
        if fields.contains("gradients") { request.gradients = optionalNames(root["gradients"], at: "/gradients") }
        if endpoint == .train { request.training = decodeTraining(root, maxSteps: limits.maxTrainSteps) }
        if endpoint == .jvp { request.tangents = decodeDirections(root["tangents"], field: "tangents") }
        if endpoint == .hvp { request.vectors = decodeDirections(root["vectors"], field: "vectors") }
        if let importer, let model = root[importer.field] {
            importer.expand(model, into: &request, problems: &problems, limits: limits)
        }
        return request
    }

    // MARK: dtype

    private mutating func decodeDType(_ v: JSONValue) -> DType {
        guard case .string(let s) = v else {
            problems.wrongType("/dtype", "must be a string, \"float32\" or \"float64\"; got \(v.kindName)")
            return .float32
        }
        guard let d = DType(rawValue: s) else {
            problems.invalid("/dtype", "unknown dtype \"\(s.prefix(64))\"; expected \"float32\" or \"float64\"")
            return .float32
        }
        return d
    }

    // MARK: tensors

    private mutating func decodeTensors(_ v: JSONValue?, into request: inout GraphRequest) {
        guard let v else {
            problems.wrongType("/tensors", "required field missing: an object mapping names to tensors")
            return
        }
        guard case .object(let tensors) = v else {
            problems.wrongType("/tensors", "must be an object mapping names to tensors; got \(v.kindName)")
            return
        }
        for (name, value) in tensors.members {
            let pointer = Pointer.join("/tensors", name)
            if name.isEmpty { problems.invalid(pointer, "a tensor name must not be empty") }
            if let t = decodeTensor(value, name: name, at: pointer, allowRequiresGrad: true) {
                request.tensors.append(t)
            } else {
                request.invalidTensorNames.insert(name)
            }
        }
    }

    /// `"tangents"` or `"vectors"`: an object mapping tensor names to tensors (required; may
    /// be empty). A direction whose own definition is invalid is reported and left out.
    private mutating func decodeDirections(_ v: JSONValue?, field: String) -> [TensorInput]? {
        let pointer = "/" + field
        guard let v else {
            problems.wrongType(pointer, "required field missing: an object mapping tensor names to tensors of their shapes")
            return nil
        }
        guard case .object(let members) = v else {
            problems.wrongType(pointer, "must be an object mapping tensor names to tensors; got \(v.kindName)")
            return nil
        }
        var directions: [TensorInput] = []
        for (name, value) in members.members {
            if let t = decodeTensor(value, name: name, at: Pointer.join(pointer, name), allowRequiresGrad: false) {
                directions.append(t)
            }
        }
        return directions
    }

    /// `{"data": nested}`, or `{"shape": [...], "data": [flat]}` (or nested as the shape
    /// says), or `{"shape": [...], "init": {...}}`; optional `requires_grad`.
    mutating func decodeTensor(_ v: JSONValue, name: String, at pointer: String, allowRequiresGrad: Bool) -> TensorInput? {
        guard case .object(let obj) = v else {
            problems.wrongType(pointer, "a tensor must be an object with \"data\" (and optionally \"shape\"); got \(v.kindName)")
            return nil
        }
        for (key, _) in obj.members
        where key != "data" && key != "b64" && key != "shape" && !(allowRequiresGrad && (key == "init" || key == "requires_grad")) {
            let known = allowRequiresGrad ? ["data", "b64", "shape", "init", "requires_grad"] : ["data", "b64", "shape"]
            problems.invalid(Pointer.join(pointer, key), "unknown tensor field; expected " + known.joined(separator: ", "))
        }
        var requiresGrad = false
        if let rg = obj["requires_grad"], allowRequiresGrad {
            if case .bool(let b) = rg { requiresGrad = b } else {
                problems.wrongType(pointer + "/requires_grad", "must be a boolean; got \(rg.kindName)")
            }
        }
        let before = problems.count
        var shape: [Int]?
        if let s = obj["shape"] { shape = decodeShape(s, at: pointer + "/shape") }
        if let b64 = obj["b64"] {
            return decodeBase64Tensor(
                b64, object: obj, shape: shape, name: name, at: pointer, requiresGrad: requiresGrad, problemsBefore: before)
        }
        if let initializer = obj["init"], allowRequiresGrad {
            // Values made by the server: a shape is required and data is not allowed.
            guard obj["data"] == nil else {
                problems.invalid(pointer + "/init", "give either data or init, not both")
                return nil
            }
            guard let shape else {
                if obj["shape"] == nil { problems.wrongType(pointer + "/shape", "required with init") }
                return nil
            }
            guard problems.count == before else { return nil }
            guard let count = admit(shape, at: pointer) else { return nil }
            guard let made = decodeInit(initializer, shape: shape, at: pointer + "/init") else { return nil }
            return TensorInput(name: name, shape: shape, data: made.values(count: count), requiresGrad: requiresGrad, pointer: pointer)
        }
        guard let given = obj["data"] else {
            problems.wrongType(pointer + "/data", "required field missing: the tensor's values (or an init)")
            return nil
        }
        if case .numbers(let packed) = given, packedFits(packed, shape: shape) {
            // The parser packed it and it fits: no JSONValue per number, no second pass.
            if shape != nil && problems.count != before { return nil }
            let tensorShape = shape ?? packed.shape
            guard admit(tensorShape, at: pointer) != nil, problems.count == before else { return nil }
            return TensorInput(name: name, shape: tensorShape, data: tensorValues(packed), requiresGrad: requiresGrad, pointer: pointer)
        }
        let data = given.unpacked
        var values: [Double] = []
        let dataPointer = pointer + "/data"
        if let shape {
            // Explicit shape: the values come flat, row-major (a bare number for shape []).
            guard problems.count == before else { return nil }
            guard let count = admit(shape, at: pointer) else { return nil }
            switch data {
            case .array(let items) where shape.count > 1 && items.first?.arrayValue != nil:
                // Nested as the shape says (a response tensor sent back as it came).
                values.reserveCapacity(count)
                flatten(data, shape: shape, axis: 0, at: dataPointer, root: dataPointer, into: &values)
            case .array(let items):
                values.reserveCapacity(items.count)
                for (i, item) in items.enumerated() { appendNumber(item, at: Pointer.join(dataPointer, i), to: &values) }
            default:
                appendNumber(data, at: dataPointer, to: &values)
            }
            guard problems.count == before else { return nil }
            guard values.count == count else {
                problems.invalid(pointer, "shape \(Shape.describe(shape)) needs \(count) values, data has \(values.count)")
                return nil
            }
            return TensorInput(name: name, shape: shape, data: values, requiresGrad: requiresGrad, pointer: pointer)
        }
        // No shape: it is the nesting of the data.
        var inferred: [Int] = []
        var probe = data
        while case .array(let items) = probe {
            inferred.append(items.count)
            guard inferred.count <= limits.maxRank else {
                problems.invalid(dataPointer, "nested deeper than the rank limit of \(limits.maxRank)")
                return nil
            }
            guard let first = items.first else { break }
            probe = first
        }
        guard let count = admit(inferred, at: pointer) else { return nil }
        values.reserveCapacity(count)
        flatten(data, shape: inferred, axis: 0, at: dataPointer, root: dataPointer, into: &values)
        guard problems.count == before else { return nil }
        return TensorInput(name: name, shape: inferred, data: values, requiresGrad: requiresGrad, pointer: pointer)
    }

    /// The element count of a tensor of `shape` at `pointer`, counted against the
    /// request's element limit; `nil` (with the problem recorded) when over a limit.
    mutating func admit(_ shape: [Int], at pointer: String) -> Int? {
        if let why = limits.shapeProblem(shape) {
            problems.invalid(pointer, why)
            return nil
        }
        let count = Shape.count(shape) ?? Int.max
        let (total, overflow) = elements.addingReportingOverflow(count)
        guard !overflow, total <= limits.maxElements else {
            problems.invalid(pointer, "with shape \(Shape.describe(shape)) the request's tensors would hold more than \(limits.maxElements) elements")
            return nil
        }
        elements = total
        return count
    }

    private mutating func decodeShape(_ v: JSONValue, at pointer: String) -> [Int]? {
        guard case .array(let dims) = v else {
            problems.wrongType(pointer, "must be an array of non-negative integers; got \(v.kindName)")
            return nil
        }
        guard dims.count <= limits.maxRank else {
            problems.invalid(pointer, "rank \(dims.count) is over the limit of \(limits.maxRank)")
            return nil
        }
        var shape: [Int] = []
        for (i, d) in dims.enumerated() {
            let p = Pointer.join(pointer, i)
            guard case .number(let n) = d, n.isIntegerLiteral else {
                problems.wrongType(p, "a dimension must be an integer; got \(d.kindName == "number" ? "a fraction" : d.kindName)")
                continue
            }
            guard n.value >= 0 else {
                problems.invalid(p, "a dimension must not be negative")
                continue
            }
            // Dimensions past Int's range are kept as Int.max: the element count then
            // overflows and is reported for the whole tensor.
            shape.append(Int(exactly: n.value) ?? Int.max)
        }
        return shape.count == dims.count ? shape : nil
    }

    /// Appends the values of nested `data`, which must nest exactly as `shape` says.
    private mutating func flatten(
        _ data: JSONValue, shape: [Int], axis: Int, at pointer: String, root: String, into values: inout [Double]
    ) {
        if axis == shape.count {
            if case .array = data {
                problems.invalid(root, "ragged nesting: \(pointer.dropFirst(root.count)) is an array where a number belongs")
            } else {
                appendNumber(data, at: pointer, to: &values)
            }
            return
        }
        guard case .array(let items) = data else {
            if case .number = data {
                problems.invalid(root, "ragged nesting: \(pointer.dropFirst(root.count)) is a number where an array of \(shape[axis]) belongs")
            } else {
                problems.wrongType(pointer, "must be an array or a number; got \(data.kindName)")
            }
            return
        }
        guard items.count == shape[axis] else {
            problems.invalid(
                root, "ragged nesting: \(pointer.dropFirst(root.count).isEmpty ? "the data" : String(pointer.dropFirst(root.count))) has \(items.count) items where \(shape[axis]) belong")
            return
        }
        for (i, item) in items.enumerated() {
            let count = problems.count
            flatten(item, shape: shape, axis: axis + 1, at: Pointer.join(pointer, i), root: root, into: &values)
            if problems.count != count { return }  // one report per tensor is enough
        }
    }

    /// A number, or one of the strings "NaN", "Infinity", "-Infinity".
    private mutating func appendNumber(_ v: JSONValue, at pointer: String, to values: inout [Double]) {
        switch v {
        case .number(let n):
            guard n.value.isFinite else {
                problems.invalid(pointer, "number out of range; write non-finite values as \"Infinity\" or \"-Infinity\"")
                return
            }
            // For float32, the rare text whose Double is a Float tie carries the Float it
            // rounds to itself (exact as a Double), so converting later rounds only once.
            values.append(n.float32Tie != 0 && dtype == .float32 ? Double(n.float32Value) : n.value)
        case .string("NaN"): values.append(.nan)
        case .string("Infinity"): values.append(.infinity)
        case .string("-Infinity"): values.append(-.infinity)
        case .string(let s):
            problems.wrongType(pointer, "must be a number or \"NaN\", \"Infinity\", \"-Infinity\"; got the string \"\(s.prefix(32))\"")
        default:
            problems.wrongType(pointer, "must be a number; got \(v.kindName)")
        }
    }

    // MARK: ops

    private mutating func decodeOps(_ v: JSONValue?, into request: inout GraphRequest) {
        guard let v else {
            problems.wrongType("/ops", "required field missing: an array of ops")
            return
        }
        guard case .array(let ops) = v else {
            problems.wrongType("/ops", "must be an array of ops; got \(v.kindName)")
            return
        }
        guard ops.count <= limits.maxOps else {
            problems.invalid("/ops", "\(ops.count) ops is over the limit of \(limits.maxOps)")
            return
        }
        for (i, item) in ops.enumerated() {
            if let op = decodeOp(item, index: i) { request.ops.append(op) }
        }
    }

    private mutating func decodeOp(_ v: JSONValue, index: Int) -> OpInput? {
        // Pointers are spelled out only for a problem: this runs for every op.
        var pointer: String { "/ops/\(index)" }
        guard case .object(let obj) = v else {
            problems.wrongType(pointer, "an op must be an object with \"id\", \"op\", \"inputs\" and optional \"attrs\"; got \(v.kindName)")
            return nil
        }
        for (key, _) in obj.members where key != "id" && key != "op" && key != "inputs" && key != "attrs" {
            problems.invalid(Pointer.join(pointer, key), "unknown op field; expected id, op, inputs, attrs")
        }
        let id = requiredString(obj["id"], at: pointer + "/id", what: "the op's output name")
        if id?.isEmpty == true { problems.invalid(pointer + "/id", "an op id must not be empty") }
        let opName = requiredString(obj["op"], at: pointer + "/op", what: "the op's name")
        var inputs: [String] = []
        var inputCount: Int?
        switch obj["inputs"] {
        case nil:
            problems.wrongType(pointer + "/inputs", "required field missing: an array of input names")
        case .array(let items)?:
            inputCount = items.count
            for (j, item) in items.enumerated() {
                if case .string(let s) = item { inputs.append(s) } else {
                    problems.wrongType(pointer + "/inputs/\(j)", "an input must be a name (string); got \(item.kindName)")
                }
            }
        case let other?:
            problems.wrongType(pointer + "/inputs", "must be an array of input names; got \(other.kindName)")
        }
        guard let id else { return nil }
        // An op that cannot be built still defines its name, so its uses resolve.
        let unbuilt = OpInput(id: id, op: nil, inputs: inputs, index: index)
        guard let opName else { return unbuilt }
        guard let type = GraphOps.named(opName) else {
            problems.invalid(pointer + "/op", "unknown op \"\(opName.prefix(64))\"; GET /ops lists them")
            return unbuilt
        }
        let signature = type.signature
        if let n = inputCount, !signature.arity.accepts(n) {
            problems.invalid(pointer + "/inputs", "\(opName) takes \(signature.arity.description) inputs, got \(n)")
            return unbuilt
        }
        guard inputCount == inputs.count,
              let attrs = decodeAttributes(obj["attrs"], for: signature, at: pointer + "/attrs")
        else { return unbuilt }
        do {
            return OpInput(id: id, op: try type.init(attributes: attrs), inputs: inputs, index: index)
        } catch {
            problems.add(error, opPointer: pointer)
            return unbuilt
        }
    }

    /// Checks attribute names and JSON types against the op's signature and fills in
    /// defaults; `nil` when any is wrong.
    private mutating func decodeAttributes(_ v: JSONValue?, for signature: OpSignature, at pointer: @autoclosure () -> String) -> Attributes? {
        var values: [String: AttributeValue] = [:]
        var ok = true
        switch v {
        case nil, .null?: break
        case .object(let obj)?:
            for (name, raw) in obj.members {
                var p: String { Pointer.join(pointer(), name) }
                guard let spec = signature.attributes.first(where: { $0.name == name }) else {
                    let known = signature.attributes.map(\.name)
                    problems.invalid(p, "\(signature.name) has no attribute \"\(name.prefix(64))\"" + (known.isEmpty ? "" : "; it takes " + known.joined(separator: ", ")))
                    ok = false
                    continue
                }
                guard let value = Self.attributeValue(raw), value == .null || spec.accepts(value) else {
                    problems.invalid(p, "must be \(spec.type.description)")
                    ok = false
                    continue
                }
                values[name] = value
            }
        case let other?:
            problems.wrongType(pointer(), "must be an object of attributes; got \(other.kindName)")
            return nil
        }
        return ok ? Attributes.withDefaults(values, for: signature) : nil
    }

    /// The attribute value a JSON value spells, if it spells one.
    static func attributeValue(_ v: JSONValue) -> AttributeValue? {
        switch v {
        case .null: return .null
        case .bool(let b): return .bool(b)
        case .string(let s): return .string(s)
        case .number(let n):
            if let i = n.exactInt { return .int(i) }
            return n.value.isFinite ? .number(n.value) : nil
        case .array(let items):
            var ints: [Int] = []
            for item in items {
                guard case .number(let n) = item, let i = n.exactInt else {
                    return intLists(items)
                }
                ints.append(i)
            }
            return .ints(ints)
        case .object: return nil
        case .numbers(let n): return attributeValue(.array(n.elements))
        }
    }

    /// An array of integer arrays (`pad_width`), or nil.
    private static func intLists(_ items: [JSONValue]) -> AttributeValue? {
        var lists: [[Int]] = []
        for item in items {
            guard case .ints(let v)? = attributeValue(item) else { return nil }
            lists.append(v)
        }
        return .intLists(lists)
    }

    // MARK: names

    private mutating func requiredString(_ v: JSONValue?, at pointer: @autoclosure () -> String, what: String) -> String? {
        guard let v else {
            problems.wrongType(pointer(), "required field missing: \(what)")
            return nil
        }
        guard case .string(let s) = v else {
            problems.wrongType(pointer(), "must be a string; got \(v.kindName)")
            return nil
        }
        return s
    }

    private mutating func optionalName(_ v: JSONValue?, at pointer: String) -> String? {
        guard let v, !v.isNull else { return nil }
        guard case .string(let s) = v else {
            problems.wrongType(pointer, "must be a name (string); got \(v.kindName)")
            return nil
        }
        return s
    }

    private mutating func optionalNames(_ v: JSONValue?, at pointer: String) -> [String]? {
        guard let v, !v.isNull else { return nil }
        guard case .array(let items) = v else {
            problems.wrongType(pointer, "must be an array of names; got \(v.kindName)")
            return nil
        }
        var names: [String] = []
        var seen = Set<String>()
        for (i, item) in items.enumerated() {
            guard case .string(let s) = item else {
                problems.wrongType(Pointer.join(pointer, i), "must be a name (string); got \(item.kindName)")
                continue
            }
            guard seen.insert(s).inserted else {
                problems.invalid(Pointer.join(pointer, i), "\"\(s.prefix(64))\" is listed twice")
                continue
            }
            names.append(s)
        }
        return names
    }
}

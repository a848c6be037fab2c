import Autograd
import AutogradGraph

/// The state of one model's import: every value by its ONNX name, the tensors and ops
/// made so far, and the names taken. `ONNXOps` handlers read operands and emit engine ops
/// through it; an op whose operands are all known now is evaluated instead (constant
/// folding, which is how shape arithmetic disappears).
struct ModelImport {
    let dtype: DType
    let maxElements: Int
    /// Each ONNX value by name.
    private(set) var values: [String: Operand] = [:]
    /// The values of float graph inputs the request gives without `requires_grad`: an op
    /// that needs an operand at import (Range's limits, Clip's bounds) may read them.
    var given: [String: TensorInput] = [:]
    /// Names defined in the request or made by the import.
    var taken: Set<String>
    private(set) var tensors: [TensorInput] = []
    private(set) var ops: [OpInput] = []
    /// Elements of everything made so far, against `maxElements`.
    var elements: Int
    private var fresh = 0

    init(dtype: DType, maxElements: Int, taken: Set<String>, elements: Int) {
        self.dtype = dtype
        self.maxElements = maxElements
        self.taken = taken
        self.elements = elements
    }

    mutating func define(_ name: String, _ operand: Operand) { values[name] = operand }

    /// The operand named `name`, or the failure of an undefined input.
    func operand(_ name: String) throws(ImportFailure) -> Operand {
        guard let v = values[name] else { throw ImportFailure("input \"\(name.prefix(64))\" is not defined by an earlier node, an initializer or a graph input") }
        return v
    }

    /// Input `i` of `node`; it must be given.
    func input(_ node: ONNXNode, _ i: Int) throws(ImportFailure) -> Operand {
        guard node.has(i) else { throw ImportFailure("input \(i) is required") }
        return try operand(node.inputs[i])
    }

    /// Input `i` of `node`, which must be known at import (a shape, axes, a constant).
    func constantInput(_ node: ONNXNode, _ i: Int) throws(ImportFailure) -> Constant {
        let operand = try input(node, i)
        if let c = operand.constant { return c }
        if let name = operand.name, let t = given[name] {
            return Constant(shape: t.shape, values: t.data.array(Double.self), isInteger: false)
        }
        throw ImportFailure("input \(i) (\"\(node.inputs[i].prefix(64))\") must be known when the model is imported (a constant, an initializer that is not trainable, a graph input given without requires_grad, or computed from these); it is computed at run time")
    }

    private mutating func admit(_ shape: [Int]) throws(ImportFailure) {
        let (total, overflow) = elements.addingReportingOverflow(Shape.count(shape) ?? Int.max)
        guard !overflow, total <= maxElements else {
            throw ImportFailure("a value of shape \(Shape.describe(shape)) would bring the request to more than \(maxElements) elements")
        }
        elements = total
    }

    /// A name nobody uses, derived from `base`.
    mutating func freshName(_ base: String) -> String {
        while true {
            fresh += 1
            let name = "\(base)::\(fresh)"
            if taken.insert(name).inserted { return name }
        }
    }

    /// The request name of `operand`, materialising a constant as a tensor (not trainable)
    /// the first time an op reads it at run time.
    mutating func runtimeName(_ operand: Operand) throws(ImportFailure) -> String {
        guard case .constant(let c) = operand.value else { return operand.name ?? "" }
        if let name = operand.name, !taken.insert(name).inserted { return name }
        let name = operand.name ?? freshName("constant")
        try admit(c.shape)
        tensors.append(TensorInput(imported: name, shape: c.shape, data: Self.values(c.values, dtype), requiresGrad: false, pointer: "/onnx"))
        return name
    }

    static func values(_ v: [Double], _ dtype: DType) -> TensorValues {
        dtype == .float32 ? .float32(v.map { Float($0) }) : .float64(v)
    }

    /// Adds a tensor the request computes with (an initializer).
    mutating func addTensor(_ t: TensorInput) {
        taken.insert(t.name)
        tensors.append(t)
    }

    /// Applies engine op `name` with `attrs` to `inputs`: evaluated now when every input
    /// is known, otherwise emitted as an op (with id `id`, or a fresh one).
    mutating func emit(
        _ name: String, attrs: [String: AttributeValue] = [:], _ inputs: [Operand], as id: String? = nil, base: String
    ) throws(ImportFailure) -> Operand {
        guard let type = Operators.named(name) else { throw ImportFailure("engine op \(name) is missing") }
        let op: any Operator
        do {
            op = try type.init(attributes: Attributes.withDefaults(attrs, for: type.signature))
        } catch {
            throw ImportFailure(Self.describe(error))
        }
        return try emit(op: op, inputs, as: id, base: base)
    }

    /// Applies `op`, which need not be a wire op (`LinearTransposedOp`), as `emit` does.
    mutating func emit(op: any Operator, _ inputs: [Operand], as id: String? = nil, base: String) throws(ImportFailure) -> Operand {
        let shape: [Int]
        do {
            shape = try op.outputShape(inputs.map(\.shape))
        } catch {
            throw ImportFailure(Self.describe(error))
        }
        let known = inputs.compactMap(\.constant)
        if known.count == inputs.count {
            guard (Shape.count(shape) ?? Int.max) <= maxElements else {
                throw ImportFailure("a constant of shape \(Shape.describe(shape)) is over the limit of \(maxElements) elements")
            }
            let arrays = known.map(\.array)
            do { try op.validateValues(arrays) } catch { throw ImportFailure(Self.describe(error)) }
            let integer = known.allSatisfy(\.isInteger)
            var out = op.forward(arrays).data
            if integer { out = out.map { $0.rounded(.towardZero) } }
            let c = Constant(shape: shape, values: out, isInteger: integer)
            return Operand(name: id, value: .constant(c))
        }
        var names: [String] = []
        for i in inputs { names.append(try runtimeName(i)) }
        let opID: String
        if let id {
            taken.insert(id)
            opID = id
        } else {
            opID = freshName(base)
        }
        try admit(shape)
        ops.append(OpInput(imported: opID, op: op, inputs: names, origin: "/onnx"))
        return Operand(name: opID, value: .runtime(shape: shape))
    }

    /// `operand` under the name `id`: a constant is renamed, a run-time value gets an
    /// identity op (`reshape` to its own shape) so that the ONNX name is a node.
    mutating func bind(_ operand: Operand, to id: String) throws(ImportFailure) {
        switch operand.value {
        case .constant(let c):
            values[id] = Operand(name: id, value: .constant(c))
        case .runtime(let shape):
            if operand.name == id {
                values[id] = operand
            } else {
                values[id] = try emit("reshape", attrs: ["shape": .ints(shape)], [operand], as: id, base: id)
            }
        }
    }

    static func describe(_ error: OpError) -> String {
        switch error {
        case .attribute(let name, let detail): "\(name): \(detail)"
        case .shape(let detail): detail
        case .input(let index, let detail): "input \(index): \(detail)"
        }
    }
}

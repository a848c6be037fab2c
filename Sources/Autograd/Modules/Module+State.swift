// Parameters and buffers found by reflection, with stable dotted names, and a module's
// state as a `StateDict`: PyTorch's `named_parameters()`, `named_buffers()`,
// `state_dict()` and `load_state_dict()`.

/// Non-trainable state a module keeps and saves with its parameters, as a PyTorch
/// buffer (`BatchNorm`'s running statistics). A class, so that loading a state dict
/// replaces the values the module reads.
public final class Buffer<Scalar: Autograd.Scalar> {
    /// The values.
    public var value: NDArray<Scalar>

    /// A buffer holding `value`.
    public init(_ value: NDArray<Scalar>) { self.value = value }
}

extension Module {
    /// Every parameter with its dotted name, found by reflection over the module's stored
    /// properties in declaration order (a superclass's first): a `Tensor` (or optional one)
    /// is a parameter named after its property; a submodule (or an optional one) adds its
    /// own, prefixed `name.`; an array of modules or tensors adds each as `name.i`. A
    /// leading underscore is dropped from a property's name (the storage of a property
    /// wrapper or of a private backing property). `Sequential` names its layers by index
    /// alone (`0.W`, `2.b`), as `nn.Sequential` does.
    public var namedParameters: [(name: String, tensor: Tensor<Scalar>)] { reflectedState().parameters }

    /// Every `Buffer` with its dotted name, found as `namedParameters` finds parameters.
    public var namedBuffers: [(name: String, buffer: Buffer<Scalar>)] { reflectedState().buffers }

    /// The trainable tensors in `namedParameters`' order: a module need not list them.
    public var parameters: [Tensor<Scalar>] { namedParameters.map(\.tensor) }

    /// The parameters' and buffers' current values by dotted name, parameters first, as
    /// PyTorch's `state_dict()`. The arrays are values: training on does not change them.
    public func stateDict() -> StateDict<Scalar> {
        StateDict(namedParameters.map { ($0.name, $0.tensor.value) } + namedBuffers.map { ($0.name, $0.buffer.value) })
    }

    /// Replaces parameter and buffer values with those of `state`, as PyTorch's
    /// `load_state_dict`: every shape is checked first (a mismatch throws
    /// `StateError.shapeMismatch` naming the key and nothing is changed); with `strict`,
    /// names the module has and `state` lacks, or the reverse, throw `StateError.keys`.
    /// The tensors stay the same objects, so an optimizer holding them trains the loaded
    /// values; gradients are kept.
    public func load(_ state: StateDict<Scalar>, strict: Bool = true) throws(StateError) {
        let params = namedParameters, buffers = namedBuffers
        let expected = params.map { ($0.name, $0.tensor.shape) } + buffers.map { ($0.name, $0.buffer.value.shape) }
        for (i, value) in try state.matched(against: expected, strict: strict) {
            if i < params.count {
                params[i].tensor.value = value
            } else {
                buffers[i - params.count].buffer.value = value
            }
        }
    }

    /// The parameters and buffers of this module, by reflection (see `namedParameters`).
    func reflectedState() -> ModuleState<Scalar> {
        var state = ModuleState<Scalar>()
        var mirrors: [Mirror] = []
        var mirror: Mirror? = Mirror(reflecting: self)
        while let m = mirror {
            mirrors.append(m)
            mirror = m.superclassMirror
        }
        for m in mirrors.reversed() {
            for child in m.children {
                guard var name = child.label else { continue }
                if name.hasPrefix("_") { name.removeFirst() }
                state.add(child.value, named: name)
            }
        }
        return state
    }
}

/// What reflection found in a module: parameters and buffers by dotted name.
struct ModuleState<Scalar: Autograd.Scalar> {
    var parameters: [(name: String, tensor: Tensor<Scalar>)] = []
    var buffers: [(name: String, buffer: Buffer<Scalar>)] = []

    mutating func add(_ value: Any, named name: String) {
        switch value {
        case let t as Tensor<Scalar>: parameters.append((name, t))
        case let b as Buffer<Scalar>: buffers.append((name, b))
        case let m as any Module<Scalar>: addModule(m, prefix: name + ".")
        case let ms as [any Module<Scalar>]:
            for (i, m) in ms.enumerated() { addModule(m, prefix: "\(name).\(i).") }
        case let ts as [Tensor<Scalar>]:
            for (i, t) in ts.enumerated() { parameters.append(("\(name).\(i)", t)) }
        default: break
        }
    }

    /// A submodule's own names (its overrides included: a nested `Sequential` names by
    /// index), prefixed.
    mutating func addModule(_ m: any Module<Scalar>, prefix: String) {
        parameters += m.namedParameters.map { (prefix + $0.name, $0.tensor) }
        buffers += m.namedBuffers.map { (prefix + $0.name, $0.buffer) }
    }
}

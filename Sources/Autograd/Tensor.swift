/// A node of the computation graph: an array of values, and, for a tensor made by an op,
/// the op and its inputs, so that `backward()` can send gradients back through it.
///
/// ```swift
/// let x = Tensor<Float>([[1, 2], [3, 4]])
/// let W = Tensor<Float>([[0.1, 0.2], [0.3, 0.4]], requiresGrad: true)
/// let loss = mseLoss(x.matmul(W), Tensor(NDArray(repeating: 1, shape: [2, 2])))
/// try loss.backward()
/// print(W.grad!)   // [[0.6, 1.8000001], [0.70000005, 2.4]]
/// ```
///
/// (`GettingStartedTests` runs this example.) Tensors are not thread-safe; a graph is built
/// and differentiated on one thread.
public final class Tensor<T: Scalar> {
    // The stored properties below opt out of Swift's dynamic exclusivity checks (a
    // `swift_beginAccess` on every read and write of a class property: 9% of the
    // instructions of a scalar chain, W4 in issue 4). That is sound here: a tensor is
    // used on one thread (documented above), `value`, `grad`, `inputs` and
    // `backwardSlot` are written only inside this module, which never holds an access to
    // one of them across a call that touches the same tensor's property, and
    // `requiresGrad` is a plain `Bool`.

    /// The values. Settable inside the module only, for optimizers updating a leaf in place.
    @exclusivity(unchecked) public internal(set) var value: NDArray<T>
    /// Whether gradients flow to this tensor. Set it on leaves (parameters and inputs);
    /// a tensor made by an op requires a gradient when any of its inputs does.
    @exclusivity(unchecked) public var requiresGrad: Bool
    /// The accumulated gradient of a leaf after `backward()`; `nil` before, or when no
    /// gradient reached it (see `gradOrZeros`).
    @exclusivity(unchecked) public internal(set) var grad: NDArray<T>?

    /// The op that made this tensor, or `nil` for a leaf.
    public let op: (any Operator)?
    /// Whether `op` is set. The engine asks this rather than `op != nil`: testing an
    /// optional existential goes through its value witnesses, on every node.
    let isRecorded: Bool
    /// The op's inputs, for a node recorded with an array of them (empty otherwise);
    /// emptied iteratively on deinit so that a long chain does not recurse once per node.
    @exclusivity(unchecked) var inputList: [Tensor<T>]
    /// The one input of a node recorded by `applyUnary` (an op whose
    /// `Operator.isUnaryInPlace` is true), held without an array; nil otherwise.
    @exclusivity(unchecked) var unaryInput: Tensor<T>?
    /// This node's place in the current backward pass (-1 outside one).
    @exclusivity(unchecked) var backwardSlot = -1
    /// What the op's `forward(_:saving:)` kept for its `vjp` (nil for ops that save
    /// nothing, which is all but `FusedElementwise`); released once the vjp has run.
    @exclusivity(unchecked) var saved: [NDArray<T>?]?

    /// A leaf tensor.
    public init(_ value: NDArray<T>, requiresGrad: Bool = false) {
        self.value = value
        self.requiresGrad = requiresGrad
        self.op = nil
        self.isRecorded = false
        self.inputList = []
    }

    init(value: NDArray<T>, op: any Operator, inputs: [Tensor<T>], saved: [NDArray<T>?]? = nil) {
        self.value = value
        self.requiresGrad = true
        self.op = op
        self.isRecorded = true
        self.inputList = inputs
        self.saved = saved
    }

    /// A node of an op whose `isUnaryInPlace` is true, holding its input without an array.
    init(value: NDArray<T>, op: any Operator, unaryInput: Tensor<T>) {
        self.value = value
        self.requiresGrad = true
        self.op = op
        self.isRecorded = true
        self.inputList = []
        self.unaryInput = unaryInput
    }

    /// The op's inputs in order (empty for a leaf). The backward pass reads `unaryInput`
    /// and `inputList` directly; this array is for the passes that are not per-node hot.
    var inputs: [Tensor<T>] {
        if let unaryInput { return [unaryInput] }
        return inputList
    }

    /// How many inputs the op took.
    var inputCount: Int { unaryInput == nil ? inputList.count : 1 }

    deinit {
        // `isRecorded`, not `inputs.isEmpty`: a deinit runs generically, and asking the
        // array would instantiate its metadata for every leaf.
        if isRecorded { Tensor.release(&unaryInput, &inputList) }
    }

    /// Releases the graph behind a dying tensor without recursion: a 100,000-op chain
    /// would otherwise run 100,000 nested deinits and overflow the stack. Each input this
    /// tensor held last is emptied of its own inputs before it dies, so its deinit finds
    /// nothing to do; a chain of unary nodes is walked without any array. Specialised
    /// because a deinit runs generically.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    static func release(_ unary: inout Tensor<T>?, _ inputs: inout [Tensor<T>]) {
        // A node whose inputs were already taken (below) ends here, without a new array.
        var next = unary.take()
        guard next != nil || !inputs.isEmpty else { return }
        var pending: [Tensor<T>] = []
        swap(&pending, &inputs)
        while true {
            while var t = next.take() {
                guard isKnownUniquelyReferenced(&t) else { break }
                next = t.unaryInput.take()
                if !t.inputList.isEmpty {
                    pending.append(contentsOf: t.inputList)
                    t.inputList = []
                }
            }
            guard let t = pending.popLast() else { return }
            next = t
        }
    }

    /// The length of each axis; `[]` for a scalar.
    public var shape: [Int] { value.shape }
    /// The number of axes.
    public var rank: Int { value.shape.count }
    /// The number of elements.
    public var count: Int { value.count }
    /// The row-major values.
    public var scalars: [T] { value.data }
    /// Whether this tensor was made by an op.
    public var isLeaf: Bool { !isRecorded }

    /// The gradient, or zeros of this tensor's shape when no gradient reached it.
    public var gradOrZeros: NDArray<T> { grad ?? NDArray(repeating: 0, shape: shape) }

    /// Forgets the accumulated gradient.
    public func zeroGrad() { grad = nil }

    /// Applies `op` to `inputs`, checking arity and shapes first. Records the op for
    /// `backward()` when any input requires a gradient.
    @inlinable
    public static func apply<Op: Operator>(_ op: Op, _ inputs: [Tensor<T>]) throws(OpError) -> Tensor<T> {
        // The arity is checked here, where the op's type is known: through `any Operator`
        // reading the signature copies it (four reference counts) on every node.
        guard Op.signature.arity.accepts(inputs.count) else {
            throw .shape("\(Op.signature.name) takes \(Op.signature.arity.description) inputs, got \(inputs.count)")
        }
        return try checkedApply(op, inputs)
    }

    // The engine's entry points are specialised for both precisions: called generically
    // from another module they would otherwise run unspecialised, paying for generic
    // metadata and witness lookups on every node (W4 in issue 4 measured 24 µs a node).
    // The caller has checked the arity.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    @usableFromInline
    static func checkedApply(_ op: any Operator, _ inputs: [Tensor<T>]) throws(OpError) -> Tensor<T> {
        let shape = try op.outputShape(inputs.count == 2 ? [inputs[0].shape, inputs[1].shape] : inputs.map { $0.shape })
        let values = values(of: inputs)
        try op.validateValues(values)
        if type(of: op).savesForBackward { return try recordSaving(op, inputs, values, checkedShape: shape) }
        return try record(op, inputs, output: op.forward(values), checkedShape: shape)
    }

    /// The inputs' values, as every op takes them. Array literals for one and two inputs:
    /// `map` grows its result through `append`, a second allocation path per node.
    @inline(__always)
    static func values(of inputs: [Tensor<T>]) -> [NDArray<T>] {
        switch inputs.count {
        case 1: [inputs[0].value]
        case 2: [inputs[0].value, inputs[1].value]
        default: inputs.map { $0.value }
        }
    }

    /// Applies `op` whose output shape for these inputs was already computed by
    /// `outputShape` (the graph format validates a whole graph before running it). Not
    /// public: it trusts `shape` and skips the op's checks; the output is still compared
    /// with `shape`.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    package static func apply(_ op: any Operator, _ inputs: [Tensor<T>], checkedShape shape: [Int]) throws(OpError) -> Tensor<T> {
        if type(of: op).savesForBackward { return try recordSaving(op, inputs, values(of: inputs), checkedShape: shape) }
        return try record(op, inputs, output: op.forward(values(of: inputs)), checkedShape: shape)
    }

    /// Runs an op that saves values for its backward pass, and records them with it.
    private static func recordSaving(
        _ op: any Operator, _ inputs: [Tensor<T>], _ values: [NDArray<T>], checkedShape shape: [Int]
    ) throws(OpError) -> Tensor<T> {
        let needs = GradMode.isRecording ? inputs.map { $0.requiresGrad } : inputs.map { _ in false }
        let (out, saved) = op.forward(values, saving: needs)
        try checkOutput(out, of: op, expected: shape)
        guard needs.contains(true) else { return Tensor(out) }
        return Tensor(value: out, op: op, inputs: inputs, saved: saved.isEmpty ? nil : saved)
    }

    /// Wraps `out`, recording the op when any input requires a gradient.
    @inline(__always)
    static func record(
        _ op: any Operator, _ inputs: [Tensor<T>], output out: NDArray<T>, checkedShape shape: [Int]
    ) throws(OpError) -> Tensor<T> {
        try checkOutput(out, of: op, expected: shape)
        guard inputs.contains(where: { $0.requiresGrad }), GradMode.isRecording else { return Tensor(out) }
        return Tensor(value: out, op: op, inputs: inputs)
    }

    /// `applyOrTrap` for one input. An op whose `isUnaryInPlace` is true is applied and
    /// recorded without arrays (`applyUnary`); any other goes through `applyOrTrap`.
    @inlinable
    static func applyOrTrap<Op: Operator>(
        _ op: Op, _ x: Tensor<T>, file: StaticString = #fileID, line: UInt = #line
    ) -> Tensor<T> {
        if Op.isUnaryInPlace { return applyUnary(op, x, file: file, line: line) }
        return applyOrTrap(op, [x], file: file, line: line)
    }

    /// Applies a one-input op whose `isUnaryInPlace` is true: its output has the input's
    /// shape, so there is no shape rule to ask, and the node holds its input without an
    /// array. The output is still checked; a wrong one is reported as `applyOrTrap`
    /// reports an error.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    @usableFromInline
    static func applyUnary(_ op: any Operator, _ x: Tensor<T>, file: StaticString, line: UInt) -> Tensor<T> {
        let out = op.forward(unary: x.value)
        do throws(OpError) {
            if out.shape != x.value.shape || out.data.count != x.value.data.count {
                try checkOutput(out, of: op, expected: x.value.shape)
            }
        } catch {
            return failed(op, error, file: file, line: line)
        }
        guard x.requiresGrad, GradMode.isRecording else { return Tensor(out) }
        return Tensor(value: out, op: op, unaryInput: x)
    }

    /// `apply` for the non-throwing Swift API: an error is recorded by the enclosing
    /// `withError` scope, or traps naming the caller's `file` and `line`, as an
    /// out-of-range index does.
    @inlinable
    static func applyOrTrap(
        _ op: some Operator, _ inputs: [Tensor<T>], file: StaticString = #fileID, line: UInt = #line
    ) -> Tensor<T> {
        do {
            return try apply(op, inputs)
        } catch {
            return failed(op, error, file: file, line: line)
        }
    }
}

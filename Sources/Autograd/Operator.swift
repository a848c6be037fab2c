/// One differentiable operation: its wire name, arity and attributes, its shape rule, its
/// forward kernel and its vector-Jacobian product, declared together in one file.
///
/// The engine knows no op by name: `Tensor.apply` runs `forward` and records the op, and
/// `backward()` calls `vjp`. Un-broadcasting is the engine's job: a `vjp` may return an
/// input's gradient in the output's broadcast shape and the engine sums it back down.
public protocol Operator: Sendable {
    /// Name, arity and attributes: the op's public contract, read by the graph format and
    /// by `GET /ops`.
    static var signature: OpSignature { get }

    /// Builds the op from attributes already checked against `signature` for type and
    /// filled with defaults; validates their values.
    init(attributes: Attributes) throws(OpError)

    /// The output shape for these input shapes, or the reason they are not acceptable.
    /// Called before anything is computed, so kernels may assume valid input.
    func outputShape(_ inputs: [[Int]]) throws(OpError) -> [Int]

    /// Checks what depends on input values rather than shapes (class indices in range);
    /// called before `forward`. Most ops accept any values and keep the default.
    func validateValues<T: Scalar>(_ inputs: [NDArray<T>]) throws(OpError)

    /// Computes the output from the inputs (whose shapes passed `outputShape`).
    func forward<T: Scalar>(_ inputs: [NDArray<T>]) -> NDArray<T>

    /// The vector-Jacobian product: given `grad`, the upstream gradient of the output,
    /// returns each input's gradient (`nil` where `needs[i]` is false). A returned array may
    /// have the output's broadcast shape; the engine un-broadcasts it.
    func vjp<T: Scalar>(
        _ grad: NDArray<T>, inputs: [NDArray<T>], output: NDArray<T>, needs: [Bool]
    ) -> [NDArray<T>?]

    /// Whether the engine should call `forward(_:saving:)` and hand what it saved to
    /// `vjp(_:inputs:output:saved:needs:)`. False (the default) for every op but
    /// `FusedElementwise`, whose forward pass can compute its inputs' gradients when it is
    /// the loss.
    static var savesForBackward: Bool { get }

    /// `forward`, and values for the backward pass (`needs[i]`: input `i` requires a
    /// gradient). The default saves nothing.
    func forward<T: Scalar>(_ inputs: [NDArray<T>], saving needs: [Bool]) -> (NDArray<T>, [NDArray<T>?])

    /// The fused-kernel instruction computing this op over registers `operands`, for an
    /// elementwise op `FusedElementwise` implements; nil (the default) otherwise. A
    /// requirement rather than a type test so that a planner asks it for the price of a
    /// call.
    func fusedInstruction(operands: [Int]) -> FusedElementwise.Instruction?

    /// `vjp`, given what `forward(_:saving:)` saved. The default ignores it.
    func vjp<T: Scalar>(
        _ grad: NDArray<T>, inputs: [NDArray<T>], output: NDArray<T>, saved: [NDArray<T>?], needs: [Bool]
    ) -> [NDArray<T>?]

    /// Whether the op takes one input, gives an output of that input's shape, and
    /// implements `forward(unary:)` and `vjp(unary:input:output:)`. The Swift API then
    /// records it without arrays (`Tensor.applyUnary`): no array of inputs, of input
    /// values or of gradients, and the gradient computed in place of the upstream one. A
    /// node of a scalar chain (W4) then allocates its tensor and its value and nothing
    /// else. False by default; the Swift API's `tensor * c` and `tensor + c` say true.
    static var isUnaryInPlace: Bool { get }

    /// `forward` of a one-input op, without the array. The default calls `forward([x])`.
    func forward<T: Scalar>(unary x: NDArray<T>) -> NDArray<T>

    /// The input's gradient written over the upstream gradient `grad` (the output's, of
    /// the input's shape): `vjp` of a one-input op without its arrays. The default calls
    /// `vjp`; an op whose `isUnaryInPlace` is true writes it in place.
    func vjp<T: Scalar>(unary grad: inout NDArray<T>, input: NDArray<T>, output: NDArray<T>)
}

extension Operator {
    public func validateValues<T: Scalar>(_ inputs: [NDArray<T>]) throws(OpError) {}

    public static var savesForBackward: Bool { false }

    public func fusedInstruction(operands: [Int]) -> FusedElementwise.Instruction? { nil }

    public func forward<T: Scalar>(_ inputs: [NDArray<T>], saving needs: [Bool]) -> (NDArray<T>, [NDArray<T>?]) {
        (forward(inputs), [])
    }

    public func vjp<T: Scalar>(
        _ grad: NDArray<T>, inputs: [NDArray<T>], output: NDArray<T>, saved: [NDArray<T>?], needs: [Bool]
    ) -> [NDArray<T>?] {
        vjp(grad, inputs: inputs, output: output, needs: needs)
    }

    public static var isUnaryInPlace: Bool { false }

    public func forward<T: Scalar>(unary x: NDArray<T>) -> NDArray<T> { forward([x]) }

    /// `vjp` with one input that needs its gradient; no gradient (nil) reads as zeros.
    public func vjp<T: Scalar>(unary grad: inout NDArray<T>, input: NDArray<T>, output: NDArray<T>) {
        let g = vjp(grad, inputs: [input], output: output, needs: [true])
        grad = (g.first ?? nil) ?? NDArray(repeating: 0, shape: input.shape)
    }
}

/// How many inputs an op takes.
public enum Arity: Sendable, Equatable {
    /// Exactly this many inputs.
    case exactly(Int)
    /// Between the two bounds, inclusive (`linear`: 2 or 3).
    case range(Int, Int)
    /// This many or more (`concat`).
    case atLeast(Int)

    /// Whether an op of this arity accepts `n` inputs.
    public func accepts(_ n: Int) -> Bool {
        switch self {
        case .exactly(let k): n == k
        case .range(let lo, let hi): n >= lo && n <= hi
        case .atLeast(let lo): n >= lo
        }
    }

    /// "2", "2 or 3", "at least 1".
    public var description: String {
        switch self {
        case .exactly(let k): "\(k)"
        case .range(let lo, let hi): hi == lo + 1 ? "\(lo) or \(hi)" : "\(lo) to \(hi)"
        case .atLeast(let lo): "at least \(lo)"
        }
    }
}

/// An op's public contract.
public struct OpSignature: Sendable {
    /// The wire name (`"add"`, `"mse_loss"`).
    public let name: String
    /// How many inputs the op accepts.
    public let arity: Arity
    /// Input names in order, for documentation (`["x", "W", "b"]`).
    public let inputs: [String]
    /// The attributes the op accepts, with types and defaults, in documentation order.
    public let attributes: [AttributeSpec]
    /// One line for the op table and `GET /ops`.
    public let summary: String
    /// The PyTorch call the op matches (`"torch.add(a, b)"`), for docs/ops.md; nil if none.
    public let pytorch: String?
    /// One sentence giving the output's shape from the inputs' (`OpSignature.sameShape`,
    /// `OpSignature.broadcastShape` or the op's own), for docs/ops.md; nil if not stated.
    public let shapeRule: String?
    /// What a user of the op should know beyond the summary: kink and tie conventions,
    /// the stable form used, for docs/ops.md; nil if nothing.
    public let notes: String?

    /// A signature; `pytorch`, `shapeRule` and `notes` feed docs/ops.md and may be left out.
    public init(
        name: String, arity: Arity, inputs: [String], attributes: [AttributeSpec] = [],
        summary: String, pytorch: String? = nil, shapeRule: String? = nil, notes: String? = nil
    ) {
        self.name = name
        self.arity = arity
        self.inputs = inputs
        self.attributes = attributes
        self.summary = summary
        self.pytorch = pytorch
        self.shapeRule = shapeRule
        self.notes = notes
    }

    /// The shape rule of an op whose output has its one input's shape.
    public static let sameShape = "the shape of x"
    /// The shape rule of an elementwise op over two broadcasting operands.
    public static let broadcastShape = "the broadcast of a's and b's shapes (NumPy rules); shapes that do not broadcast are an error"
}

/// Why an op cannot be built or applied. The graph format turns `.attribute` into a
/// pointer at `/ops/i/attrs/NAME` and `.shape` into one at `/ops/i`.
public enum OpError: Error, Sendable, Equatable {
    /// Attribute `name` has an unacceptable value; `detail` says why.
    case attribute(name: String, detail: String)
    /// The input shapes do not fit the op; the message says how.
    case shape(String)
    /// An input's values (not only its shape) are invalid, e.g. a class index out of range.
    case input(index: Int, detail: String)
}

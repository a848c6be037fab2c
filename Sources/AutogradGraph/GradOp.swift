import Autograd

/// The graph op `grad`: `{"id": "g", "op": "grad", "inputs": ["f", "x"]}` is the gradient
/// of the scalar node `f` with respect to the tensor or node `x`, as
/// `torch.autograd.grad(f, x, create_graph=True)[0]`: a node of `x`'s shape that later ops
/// read and that is differentiated in turn, so nested `grad` ops give higher derivatives
/// (u_xx = grad(sum(grad(sum(u), x)), x)).
///
/// It is not an engine op. Its value is not a function of its inputs' values but of the
/// graph recorded between them, so the executor computes it (`Executor.forward`) with
/// `grad(of:wrt:createGraph:)` rather than through `Tensor.apply`. It conforms to
/// `Operator` for what the graph format asks of every op — its signature (for `GET /ops`,
/// docs/ops.md and the OpenAPI op enum), its inputs and its shape rule, which the plan
/// checks before anything runs — and is listed in `GraphOps.all`, not in the engine's
/// registry. `x` needs no `requires_grad`: the executor makes it require a gradient before
/// anything reads it.
public struct GradOp: Operator, Equatable {
    public static let signature = OpSignature(
        name: "grad", arity: .exactly(2), inputs: ["f", "x"],
        summary: "the gradient of the scalar f with respect to x, a node that later ops read and that is differentiated in turn",
        pytorch: "torch.autograd.grad(f, x, create_graph=True)[0]",
        shapeRule: "the shape of x; f must be a scalar (shape [])",
        notes: "a graph op, computed from the graph recorded between x and f: x may be a tensor or an op and needs no "
            + "requires_grad; zeros when f does not depend on x (torch's materialize_grads). Nest it for higher "
            + "derivatives; /backward and /train differentiate through it. See docs/higher-order.md")

    public init() {}

    public init(attributes: Attributes) throws(OpError) { self.init() }

    public func outputShape(_ inputs: [[Int]]) throws(OpError) -> [Int] {
        guard inputs[0].isEmpty else {
            throw .shape("grad: f has shape \(Shape.describe(inputs[0])); grad differentiates a scalar (shape []): sum it first")
        }
        return inputs[1]
    }

    /// Not a function of the values: the executor never calls it (see the type's comment).
    /// Answers zeros of `x`'s shape so that a stray call cannot trap.
    public func forward<T: Scalar>(_ inputs: [NDArray<T>]) -> NDArray<T> {
        NDArray(repeating: 0, shape: inputs[1].shape)
    }

    /// The executor records the gradient with the engine's ops, which carry their own
    /// derivatives; this node itself is never in a recorded graph.
    public func vjp<T: Scalar>(
        _ grad: NDArray<T>, inputs: [NDArray<T>], output: NDArray<T>, needs: [Bool]
    ) -> [NDArray<T>?] {
        needs.map { _ in nil }
    }
}

/// The graph format's vocabulary: the engine's ops (`Operators.all`), then the ops that
/// act on the recorded graph (`grad`). `GET /ops`, docs/ops.md and the decoder read it.
public enum GraphOps {
    /// Every op a graph may name, in documentation order.
    public static let all: [any Operator.Type] = Operators.all + [GradOp.self]

    /// The op with this wire name.
    public static func named(_ name: String) -> (any Operator.Type)? {
        Operators.named(name) ?? (name == GradOp.signature.name ? GradOp.self : nil)
    }
}

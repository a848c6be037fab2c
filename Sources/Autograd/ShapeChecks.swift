// The engine's checks on what an `Operator` hands back, built in or the caller's: every
// forward output against the op's shape rule, every vector-Jacobian product against its
// input's shape. They run in release builds too, a comparison or two per edge, so that
// a wrong op is a thrown error naming it, never a write past the end of a buffer.

extension Shape {
    /// Whether an array of `shape` can be summed down to `target` (`NDArray.sum(to:)`):
    /// `target` broadcasts to `shape`, as an input's shape broadcasts to its op's output.
    static func reduces(_ shape: [Int], to target: [Int]) -> Bool {
        let offset = shape.count - target.count
        guard offset >= 0 else { return false }
        for i in target.indices where target[i] != 1 && target[i] != shape[i + offset] { return false }
        return true
    }
}

/// The name the engine's errors give an op: its Swift type (plus `suffix`), as PyTorch
/// names a `torch.autograd.Function` by its class, with the wire name when they differ.
func opName(_ op: any Operator, suffix: String = "") -> String {
    let type = String(describing: Swift.type(of: op))
    let wire = Swift.type(of: op).signature.name
    let same = type.lowercased() == String(wire.filter { $0 != "_" })
    return type + suffix + (same ? "" : " (\"\(wire)\")")
}

extension Tensor {
    /// Throws unless `out` has the shape `op`'s shape rule gave and as many elements as
    /// that shape holds.
    @inline(__always)
    static func checkOutput(_ out: NDArray<T>, of op: any Operator, expected shape: [Int]) throws(OpError) {
        guard out.shape == shape, out.data.count == Shape.count(shape) else {
            throw .shape(
                "Function \(opName(op)) returned an invalid output - got \(Shape.describe(out.shape))"
                    + (out.shape == shape ? " holding \(out.data.count) elements" : "")
                    + " but its shape rule gives \(Shape.describe(shape))")
        }
    }
}

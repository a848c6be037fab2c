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

extension Shape {
    /// For each batch index of `batch` (row-major), the offset of the operand's matrix
    /// when its batch axes `own` broadcast to `batch` and each matrix has `matrix` elements.
    static func batchOffsets(_ own: [Int], in batch: [Int], count: Int, matrix: Int) -> [Int] {
        let strides = Shape.broadcastStrides(own, to: batch)
        var offsets = [Int](repeating: 0, count: count)
        var index = [Int](repeating: 0, count: batch.count)
        var offset = 0
        for i in 0..<count {
            offsets[i] = offset * matrix
            var axis = batch.count - 1
            while axis >= 0 {
                index[axis] += 1
                offset += strides[axis]
                if index[axis] < batch[axis] { break }
                offset -= strides[axis] * batch[axis]
                index[axis] = 0
                axis -= 1
            }
        }
        return offsets
    }
}

// Shape rules shared by the elementwise ops.

extension Shape {
    /// The shape rule of a NumPy-broadcasting elementwise op.
    public static func broadcastRule(_ inputs: [[Int]]) throws(OpError) -> [Int] {
        var out: [Int] = []
        for s in inputs {
            guard let b = broadcast(out, s) else {
                throw .shape("shapes " + inputs.map(describe).joined(separator: " and ") + " do not broadcast")
            }
            out = b
        }
        return out
    }

    /// The shape rule of a one-input elementwise op.
    public static func sameShapeRule(_ inputs: [[Int]]) -> [Int] { inputs[0] }
}

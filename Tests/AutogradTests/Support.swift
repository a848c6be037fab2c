import Autograd
import Testing

/// Builds a registered op from its wire name and attributes, as the graph format does.
func makeOp(_ name: String, _ attrs: [String: AttributeValue] = [:]) throws -> any Operator {
    guard let type = Operators.named(name) else { throw OpLookupError(name: name) }
    return try type.init(attributes: .withDefaults(attrs, for: type.signature))
}

struct OpLookupError: Error { let name: String }

/// Random values in `range`, from a fixed seed.
func randomArray(_ shape: [Int], in range: ClosedRange<Double> = -2...2, seed: UInt64) -> NDArray<Double> {
    var g = SplitMix64(seed: seed)
    let n = Shape.count(shape) ?? 0
    return NDArray(shape: shape, data: (0..<n).map { _ in Double.random(in: range, using: &g) })
}

/// `torch.allclose`-style comparison of whole arrays, shapes first; reports the first
/// element that differs, at the caller's line.
func expectClose<T: Scalar>(
    _ actual: NDArray<T>, _ expected: NDArray<T>, rtol: T, atol: T, _ what: @autoclosure () -> String = "",
    sourceLocation: SourceLocation = #_sourceLocation
) {
    #expect(actual.shape == expected.shape, "\(what()): shape", sourceLocation: sourceLocation)
    guard actual.shape == expected.shape else { return }
    for i in 0..<actual.count {
        let a = actual.data[i], e = expected.data[i]
        if a.isNaN && e.isNaN { continue }
        if a == e { continue }  // equal infinities
        let ok = (a - e).magnitude <= atol + rtol * e.magnitude
        if !ok {
            Issue.record(
                "\(what()): element \(i): got \(a), expected \(e) (rtol \(rtol), atol \(atol))",
                sourceLocation: sourceLocation)
            return
        }
    }
}

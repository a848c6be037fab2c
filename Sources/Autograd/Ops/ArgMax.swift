/// The index of the largest element along `axis`, as `torch.argmax(x, dim=axis,
/// keepdim=keepdims)`: the first on a tie, the first NaN if any; as a number of the
/// request's dtype, with a zero gradient.
public struct ArgMax: IndexReduction {
    public static let signature = indexSignature("argmax", "index of the largest element along axis (first on ties)")
    /// True: argmax searches for the largest element.
    public static let picksLargest = true

    /// The axis searched, negatives counting from the end (0 or −1 for a 0-d input, as torch);
    /// required.
    public let axis: Int
    /// Whether the searched axis stays in the output with length 1 (torch's `keepdim`); default
    /// false.
    public let keepdims: Bool

    /// The op searching `axis`, as `torch.argmax(x, dim=axis, keepdim=keepdims)`.
    public init(axis: Int, keepdims: Bool = false) {
        self.axis = axis
        self.keepdims = keepdims
    }
}

/// argmax and argmin: attributes `axis` (required) and `keepdims`, and their kernel.
public protocol IndexReduction: Operator {
    /// True for argmax (the largest element), false for argmin (the smallest).
    static var picksLargest: Bool { get }
    /// The axis searched, negatives counting from the end: the `axis` attribute, required.
    var axis: Int { get }
    /// Whether the searched axis stays in the output with length 1: the `keepdims` attribute,
    /// default false.
    var keepdims: Bool { get }
    /// The op searching `axis`, keeping it with length 1 when `keepdims`.
    init(axis: Int, keepdims: Bool)
}

extension IndexReduction {
    public init(attributes: Attributes) throws(OpError) {
        self.init(axis: try attributes.int("axis"), keepdims: try attributes.bool("keepdims"))
    }

    static func indexSignature(_ name: String, _ summary: String) -> OpSignature {
        OpSignature(
            name: name, arity: .exactly(1), inputs: ["x"],
            attributes: [
                AttributeSpec("axis", .int, default: nil, "the axis to search, negatives from the end (required)"),
                ReducedAxes.keepdimsAttribute,
            ],
            summary: summary + "; zero gradient", pytorch: "torch.\(name)(x, dim=axis, keepdim=keepdims)",
            shapeRule: "x's shape without axis (kept as 1 with keepdims)",
            notes: "the index as a number of the request's dtype; the first on a tie, the first NaN if any; an empty axis is a 422")
    }

    public func outputShape(_ inputs: [[Int]]) throws(OpError) -> [Int] {
        let shape = inputs[0]
        let a = try Shape.resolveAxis(axis, rank: shape.count, scalarAllowed: true)
        guard !shape.isEmpty else { return [] }
        guard shape[a] > 0 else {
            throw .shape("\(Self.signature.name): cannot search axis \(a) of length 0 in \(Shape.describe(shape))")
        }
        var out = shape
        if keepdims { out[a] = 1 } else { out.remove(at: a) }
        return out
    }

    public func forward<T: Scalar>(_ x: [NDArray<T>]) -> NDArray<T> {
        guard let shape = try? outputShape([x[0].shape]),
              let a = try? Shape.resolveAxis(axis, rank: x[0].rank, scalarAllowed: true)
        else { return x[0] }
        return x[0].indexOfExtremum(along: a, largest: Self.picksLargest, shape: shape)
    }

    public func vjp<T: Scalar>(
        _ grad: NDArray<T>, inputs x: [NDArray<T>], output: NDArray<T>, needs: [Bool]
    ) -> [NDArray<T>?] {
        zeroGradients(x, needs: needs)
    }
}

extension NDArray {
    /// For each position off `axis`, the index along it of the largest (or smallest)
    /// element, the first on a tie, the first NaN if there is one; `shape` is the output's.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    func indexOfExtremum(along axis: Int, largest: Bool, shape: [Int]) -> NDArray<T> {
        let (outer, n, inner) = Shape.split(self.shape, at: axis)
        return data.withUnsafeBufferPointer { src in
            NDArray(shape: shape) { dst in
                for o in 0..<outer {
                    for i in 0..<inner {
                        var best = src[o * n * inner + i], index = 0
                        var k = 1
                        while k < n && !best.isNaN {
                            let v = src[(o * n + k) * inner + i]
                            if v.isNaN || (largest ? v > best : v < best) {
                                best = v
                                index = k
                            }
                            k += 1
                        }
                        dst[o * inner + i] = T(index)
                    }
                }
            }
        }
    }
}

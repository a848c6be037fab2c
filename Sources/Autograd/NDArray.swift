/// A dense, contiguous, row-major array: the numeric payload of a tensor, and the
/// currency of every forward kernel and vector-Jacobian product.
///
/// It is a value type; a `Tensor` wraps one and adds the graph.
public struct NDArray<T: Scalar>: Sendable, Equatable {
    /// The length of each axis; `[]` for a scalar.
    public var shape: [Int]
    /// The elements in row-major order; `data.count` is the product of `shape`.
    public var data: [T]

    /// An array with the given shape and row-major data. `data.count` must equal the
    /// shape's element count.
    public init(shape: [Int], data: [T]) {
        precondition(Shape.count(shape) == data.count, "NDArray: data count does not match shape")
        self.shape = shape
        self.data = data
    }

    /// An array of `shape` with every element `value`.
    public init(repeating value: T, shape: [Int]) {
        self.shape = shape
        self.data = [T](repeating: value, count: Shape.count(shape) ?? 0)
    }

    /// A scalar (shape `[]`).
    @inlinable
    public init(scalar: T) {
        self.shape = []
        self.data = [scalar]
    }

    /// An array of `shape` whose elements are written by `body` into uninitialised storage.
    @inlinable
    public init(
        shape: [Int], unsafeUninitialized body: (inout UnsafeMutableBufferPointer<T>) -> Void
    ) {
        let n = Shape.count(shape) ?? 0
        self.shape = shape
        if n == 1 {
            // A one-element literal is allocated by specialised code. The standard
            // library's uninitialised-capacity path goes through a generic allocator that
            // looks up the storage class's metadata on every call: about 360 instructions,
            // a tenth of a scalar op's whole cost (W4 in issue 4).
            var one: [T] = [0]
            one.withUnsafeMutableBufferPointer { body(&$0) }
            self.data = one
            return
        }
        self.data = [T](unsafeUninitializedCapacity: n) { buffer, count in
            body(&buffer)
            count = n
        }
    }

    /// The number of elements.
    public var count: Int { data.count }
    /// The number of axes (0 for a scalar).
    public var rank: Int { shape.count }

    /// The same data read with another shape of the same element count.
    public func reshaped(_ newShape: [Int]) -> NDArray {
        NDArray(shape: newShape, data: data)
    }
}

extension Tensor: CustomStringConvertible {
    /// The values (summarised above 1,000 elements, as NumPy does), then the shape, the
    /// dtype and whether it requires a gradient:
    /// `Tensor([[1.0, 2.0], [3.0, 4.0]], shape: [2, 2], dtype: float32, requiresGrad: true)`.
    public var description: String {
        "Tensor(\(value), shape: \(shape), dtype: \(T.dtype.rawValue)\(requiresGrad ? ", requiresGrad: true" : ""))"
    }
}

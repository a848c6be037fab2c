import Autograd

/// The other half of `GraphImporter` for `/train` (issue 11): the model a request carried,
/// written again with the values its tensors hold after training. The importer attaches
/// one to the request it expands (`GraphRequest.exporter`); the trainer hands it the final
/// values and the answer gains `"field": {"b64": "<base64 of the bytes>"}`. This module
/// never reads the format: the exporter owns the bytes.
package protocol ModelExporter: Sendable {
    /// The answer's member (`"onnx"`), the importer's request field.
    var field: String { get }

    /// Names of the request's tensors whose values the exported model carries (its
    /// trainable weights and the ones the request overrode), each a tensor of the request.
    var tensorNames: [String] { get }

    /// The model's bytes with `values` (one per `tensorNames` entry, in order, in the
    /// request's dtype) in place of its own. Throws only if the format cannot hold them.
    func export(_ values: [ExportedValues]) throws(Problem) -> [UInt8]
}

/// A tensor's final values, as `ModelExporter.export` receives them.
package struct ExportedValues: Sendable {
    package let name: String
    package let shape: [Int]
    package let data: TensorValues

    package init(name: String, shape: [Int], data: TensorValues) {
        self.name = name
        self.shape = shape
        self.data = data
    }
}

extension TensorValues {
    /// `values` in the case of their precision (no conversion).
    package init<T: Scalar>(_ values: [T]) {
        switch T.dtype {
        case .float32: self = .float32(values.map { Float($0) })
        case .float64: self = .float64(values.map { Double($0) })
        }
    }
}

/// A model format a request may carry in one top-level field (`"onnx"`): the seam through
/// which a module above this one (AutogradONNX) turns a model into the request's tensors
/// and ops. `RequestDecoder` calls it once, after decoding the request's own fields and
/// before anything is planned, so the model's nodes are planned, fused, run and
/// differentiated exactly as ops written in JSON are.
package protocol GraphImporter: Sendable {
    /// The top-level request field it reads (`"onnx"`).
    var field: String { get }

    /// Adds the model in `value` to `request`, whose own tensors and ops are already
    /// decoded: tensors under the model's names and ops whose ids are the model's value
    /// names. Records every problem in `problems` with a pointer into the request (never
    /// traps); adds nothing the plan could reject except over `limits`. For `/train`
    /// (`request.training` set) it may attach a `ModelExporter` (`request.exporter`): the
    /// answer then carries the model back with its trained values.
    func expand(_ value: JSONValue, into request: inout GraphRequest, problems: inout ProblemList, limits: GraphLimits)

    /// `GET /ops`'s member `field` (after `"ops"`): what the importer supports, as JSON.
    var catalog: JSONValue { get }
}

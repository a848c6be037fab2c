import AutogradGraph
import AutogradONNX

extension GraphService {
    /// The service as the `autograd-server` binary builds it (with the ONNX importer), for
    /// comparing the binary's answers byte for byte with an in-process run.
    static var asTheBinaryRunsIt: GraphService { GraphService(importer: ONNXImporter()) }
}

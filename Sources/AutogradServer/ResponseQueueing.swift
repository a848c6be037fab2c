import AutogradGraph
import CMicroHTTPD

/// Hands a `Response` to libmicrohttpd for a connection. Called only on the polling thread
/// from inside the access handler, as MHD requires.
enum ResponseQueueing {
    /// Queues `response`; MHD copies the body (.RESPMEM_MUST_COPY), so nothing Swift owns
    /// has to outlive this call. Returns .NO (MHD then closes the connection) only if
    /// MHD cannot allocate or accept the response.
    static func queue(_ response: Response, on connection: OpaquePointer, state: ConnectionState) -> MHD_Result {
        let created: OpaquePointer? = response.body.withUnsafeBytes { raw in
            MHD_create_response_from_buffer(
                raw.count, UnsafeMutableRawPointer(mutating: raw.baseAddress), .RESPMEM_MUST_COPY)
        }
        guard let mhdResponse = created else { return .NO }
        defer { MHD_destroy_response(mhdResponse) }
        // A header MHD rejects (e.g. containing CR/LF) is dropped rather than failing the answer.
        _ = MHD_add_response_header(mhdResponse, "Content-Type", response.contentType)
        for header in response.headers + state.identityHeaders(for: response) {
            _ = MHD_add_response_header(mhdResponse, header.name, header.value)
        }
        let status = (100...599).contains(response.status) ? response.status : 500
        let result = MHD_queue_response(connection, UInt32(status), mhdResponse)
        if result == .YES {
            state.status = status
            state.responseBytes = response.body.count
            state.phase = .answered
        }
        return result
    }
}

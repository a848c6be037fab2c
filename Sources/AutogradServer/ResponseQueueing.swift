import AutogradGraph
import CMicroHTTPD

/// Hands a `Response` to libmicrohttpd for a connection. Called only on the polling thread
/// from inside the access handler, as MHD requires.
enum ResponseQueueing {
    /// Queues `response`. A small body is copied by MHD (.RESPMEM_MUST_COPY); a large one
    /// (a W2 answer is megabytes) is handed over without a copy: MHD keeps a retained
    /// `ResponseBody` and releases it when it no longer needs the bytes. Either way nothing
    /// the caller owns has to outlive this call. Returns .NO (MHD then closes the
    /// connection) only if MHD cannot allocate or accept the response.
    static func queue(_ response: Response, on connection: OpaquePointer, state: ConnectionState) -> MHD_Result {
        let created: OpaquePointer?
        if response.body.count >= ResponseBody.minimumBytes {
            created = ResponseBody.mhdResponse(response.body)
        } else {
            created = response.body.withUnsafeBytes { raw in
                MHD_create_response_from_buffer(
                    raw.count, UnsafeMutableRawPointer(mutating: raw.baseAddress), .RESPMEM_MUST_COPY)
            }
        }
        guard let mhdResponse = created else { return .NO }
        defer { MHD_destroy_response(mhdResponse) }
        // A header MHD rejects (e.g. containing CR/LF) is dropped rather than failing the answer.
        if response.status != 204 && response.status != 304 { _ = MHD_add_response_header(mhdResponse, "Content-Type", response.contentType) }
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

/// A response body lent to libmicrohttpd without a copy. The array is a `let` of this
/// object, never mutated, so its storage stays where it is for the object's lifetime;
/// MHD holds one retain and gives it back through `release` once the response is destroyed.
final class ResponseBody {
    /// Bodies from this size on are lent rather than copied (below it a copy costs less
    /// than the object and the callback).
    static let minimumBytes = 16 * 1024

    private let bytes: [UInt8]

    private init(_ bytes: [UInt8]) { self.bytes = bytes }

    /// An MHD response reading straight from `bytes`, or nil if MHD cannot make one.
    static func mhdResponse(_ bytes: [UInt8]) -> OpaquePointer? {
        let body = ResponseBody(bytes)
        let retained = Unmanaged.passRetained(body)
        let created = body.bytes.withUnsafeBytes { raw in
            MHD_create_response_from_buffer_with_free_callback_cls(
                raw.count, UnsafeMutableRawPointer(mutating: raw.baseAddress), release, retained.toOpaque())
        }
        if created == nil { retained.release() }
        return created
    }

    /// MHD_ContentReaderFreeCallback: MHD is done with the bytes.
    private static let release: MHD_ContentReaderFreeCallback = { cls in
        guard let cls else { return }
        Unmanaged<ResponseBody>.fromOpaque(cls).release()
    }
}

import CMicroHTTPD
import Foundation

/// libmicrohttpd's connection notifications (MHD_OPTION_NOTIFY_CONNECTION, on its polling
/// thread): connections opening and closing for `SlowClientSweeper`, and over TLS, where
/// no `HeaderGate` sees a connection first, each connection's requests followed from the
/// first on (the shim's gnutls_record_recv, CMicroHTTPD.h "Later requests"), so that a
/// request libmicrohttpd 0.9.75 would answer itself (malformed Content-Length, 414, 431,
/// 505) gets the gate's one problem+json answer instead, written on the TLS session. No
/// lingering there: the session is libmicrohttpd's, which closes it after the answer.
final class ConnectionWatch: RequestBlockChecker, @unchecked Sendable {  // immutable after init
    let sweeper: SlowClientSweeper?
    /// Over TLS: the handler whose limits, CORS and accounting the answers use.
    let tls: RequestHandler?

    init(sweeper: SlowClientSweeper?, tls: RequestHandler?) {
        self.sweeper = sweeper
        self.tls = tls
    }

    func opened(_ connection: OpaquePointer) {
        sweeper?.opened(connection)
        if tls != nil {
            cmhd_framing_watch_tls(cmhd_connection_fd(connection), requestBlockCheck, checkContext)
        }
    }

    func closed(_ connection: OpaquePointer) {
        sweeper?.closed(connection)
    }

    /// A TLS request's request line or header block (`cmhd_block_check`): true when it is
    /// refused and its answer written.
    func checkLater(fd: Int32, bytes: [UInt8], kind: Int32) -> Bool {
        guard let handler = tls,
              case .refuse(let response, let method, let target, let version) = HeaderBlock.outcome(of: bytes, kind: kind, maxBodyBytes: handler.maxBodyBytes)
        else { return false }
        let (state, wire) = handler.refusal(response, method: method, target: target, version: version, block: bytes)
        // Not written (the session failed): libmicrohttpd answers it, as it would.
        guard wire.withUnsafeBufferPointer({ cmhd_framing_tls_send(fd, $0.baseAddress, $0.count) }) == 1 else { return false }
        state.status = response.status
        state.responseBytes = response.body.count
        handler.complete(state, ending: nil)
        return true
    }
}

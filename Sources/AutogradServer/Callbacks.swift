import CMicroHTTPD

// The C callbacks libmicrohttpd calls on its polling thread. They live in this library, as
// nonisolated top-level functions: defined in the executable's main.swift they would be
// main-actor isolated under Swift 6 and trap when MHD calls them from its own thread.
// `cls` is an unretained `RequestHandler` (the `HTTPServer` keeps it alive until after
// MHD_stop_daemon); `*con_cls` is a retained `ConnectionState`, released in `requestCompleted`.

/// MHD_AccessHandlerCallback.
func accessHandler(
    cls: UnsafeMutableRawPointer?, connection: OpaquePointer?, url: UnsafePointer<CChar>?,
    method: UnsafePointer<CChar>?, version: UnsafePointer<CChar>?, uploadData: UnsafePointer<CChar>?,
    uploadDataSize: UnsafeMutablePointer<Int>?, conCls: UnsafeMutablePointer<UnsafeMutableRawPointer?>?
) -> MHD_Result {
    guard let cls, let connection, let uploadDataSize, let conCls else { return .NO }
    let handler = Unmanaged<RequestHandler>.fromOpaque(cls).takeUnretainedValue()
    if let existing = conCls.pointee {
        let state = Unmanaged<ConnectionState>.fromOpaque(existing).takeUnretainedValue()
        return handler.continue(state, connection: connection, data: uploadData, size: uploadDataSize)
    }
    let state = ConnectionState(
        method: method.map { String(cString: $0) } ?? "",
        path: Router.path(ofTarget: url.map { String(cString: $0) } ?? ""),
        version: version.map { String(cString: $0) } ?? "")
    conCls.pointee = Unmanaged.passRetained(state).toOpaque()
    return handler.begin(state, connection: connection)
}

/// MHD_RequestCompletedCallback.
func requestCompleted(
    cls: UnsafeMutableRawPointer?, connection: OpaquePointer?,
    conCls: UnsafeMutablePointer<UnsafeMutableRawPointer?>?, toe: MHD_RequestTerminationCode
) {
    // Its answer is on the wire: a next request on the connection may be checked (framing.c).
    if let connection { cmhd_framing_completed(cmhd_connection_fd(connection)) }
    guard let conCls, let raw = conCls.pointee else { return }
    conCls.pointee = nil
    let state = Unmanaged<ConnectionState>.fromOpaque(raw).takeRetainedValue()
    guard let cls else { return }
    let handler = Unmanaged<RequestHandler>.fromOpaque(cls).takeUnretainedValue()
    handler.complete(state, ending: RequestLog.ending(toe))
    if let connection { handler.sweeper?.requestDone(connection) }
}

/// MHD_NotifyConnectionCallback: connections opening and closing, for `ConnectionWatch`
/// (`cls`, unretained; the `HTTPServer` keeps it alive until after MHD_stop_daemon).
func connectionNotify(
    cls: UnsafeMutableRawPointer?, connection: OpaquePointer?,
    socketContext: UnsafeMutablePointer<UnsafeMutableRawPointer?>?, code: MHD_ConnectionNotificationCode
) {
    guard let cls, let connection else { return }
    let watch = Unmanaged<ConnectionWatch>.fromOpaque(cls).takeUnretainedValue()
    switch code {
    case .CONNECTION_NOTIFY_STARTED: watch.opened(connection)
    default: watch.closed(connection)
    }
}

/// `cmhd_log_fn`: libmicrohttpd's error messages, already formatted by the shim, into the
/// server's logger. The close after an early 413 (`EarlyRejection`) is deliberate, so MHD's
/// complaint about it is only debug; so is a connection closed mid-request.
func libraryLog(cls: UnsafeMutableRawPointer?, message: UnsafePointer<CChar>?) {
    guard let cls, let message else { return }
    let handler = Unmanaged<RequestHandler>.fromOpaque(cls).takeUnretainedValue()
    let text = String(cString: message)
    // "closed by remote side with incomplete request" follows every later request the
    // shim refused (framing.c: libmicrohttpd reads end-of-stream then), besides clients
    // that give up mid-request: neither is the operator's concern.
    if text.hasPrefix("Application reported internal error") || text.hasPrefix("Connection was closed by remote side with incomplete request") {
        handler.logger.debug("libmicrohttpd: \(text)")
    } else {
        handler.logger.notice("libmicrohttpd: \(text)")
    }
}

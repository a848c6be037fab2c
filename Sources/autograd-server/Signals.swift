import Dispatch
import Foundation
import Logging

#if canImport(Glibc)
import Glibc
#endif

/// Observes SIGINT and SIGTERM through DispatchSource signal sources on a queue of their
/// own (so the handler may block while the server drains): the first one runs `shutdown`
/// (the graceful stop) and exits 0 if it drained, 1 if the drain timeout cut it short. Call before starting the server, so that once it logs
/// `listening on` a signal can no longer be lost or kill it.
///
/// The signals are blocked in the calling (main) thread first; every thread created later
/// inherits the mask, so the kernel keeps them pending for libdispatch (signalfd on Linux)
/// instead of applying the default action. Threads that already exist do not block them:
/// OpenBLAS starts its worker threads in a library constructor, before `main`. The kernel
/// may hand a signal to one of those, so the signals get a handler (not SIG_IGN, which
/// would drop them there) that passes the number through a pipe to the same queue.
func handleTerminationSignals(logger: Logger, shutdown: @escaping @Sendable () -> Bool) -> [any DispatchSourceProtocol] {
    let numbers = [SIGINT, SIGTERM]
    var mask = sigset_t()
    sigemptyset(&mask)
    for number in numbers { sigaddset(&mask, number) }
    pthread_sigmask(SIG_BLOCK, &mask, nil)
    let queue = DispatchQueue(label: "autograd-server.signals")
    let stop: @Sendable (Int32) -> Void = { number in
        logger.info("received signal \(number), stopping")
        guard shutdown() else {
            // Drain timeout: computations still run on other threads, so skip exit()'s
            // static destructors and atexit handlers, which would race them.
            fflush(nil)
            _exit(1)
        }
        exit(0)
    }
    var sources: [any DispatchSourceProtocol] = numbers.map { number in
        let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
        source.setEventHandler { stop(number) }
        source.resume()
        return source
    }
    var ends: [Int32] = [-1, -1]
    if pipe(&ends) == 0 {
        SignalRelay.writeEnd = ends[1]
        let relay = DispatchSource.makeReadSource(fileDescriptor: ends[0], queue: queue)
        relay.setEventHandler {
            var byte: UInt8 = 0
            if read(ends[0], &byte, 1) == 1 { stop(Int32(byte)) }
        }
        relay.resume()
        sources.append(relay)
        for number in numbers {
            var action = sigaction()
            action.__sigaction_handler.sa_handler = SignalRelay.handler
            sigemptyset(&action.sa_mask)
            action.sa_flags = SA_RESTART
            sigaction(number, &action, nil)
        }
    } else {
        for number in numbers { signal(number, SIG_IGN) }
    }
    return sources
}

/// The signal handler's side of the pipe (set once, before the handler is installed).
private enum SignalRelay {
    nonisolated(unsafe) static var writeEnd: Int32 = -1

    /// Async-signal-safe: one write(2) of the signal's number.
    static let handler: @convention(c) (Int32) -> Void = { number in
        var byte = UInt8(truncatingIfNeeded: number)
        _ = write(SignalRelay.writeEnd, &byte, 1)
    }
}

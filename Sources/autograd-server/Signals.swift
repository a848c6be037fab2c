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
/// instead of applying the default action or discarding them as ignored.
func handleTerminationSignals(logger: Logger, shutdown: @escaping @Sendable () -> Bool) -> [DispatchSourceSignal] {
    let numbers = [SIGINT, SIGTERM]
    var mask = sigset_t()
    sigemptyset(&mask)
    for number in numbers { sigaddset(&mask, number) }
    pthread_sigmask(SIG_BLOCK, &mask, nil)
    let queue = DispatchQueue(label: "autograd-server.signals")
    return numbers.map { number in
        signal(number, SIG_IGN)  // for platforms where dispatch uses kqueue; harmless here
        let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
        source.setEventHandler {
            logger.info("received signal \(number), stopping")
            guard shutdown() else {
                // Drain timeout: computations still run on other threads, so skip exit()'s
                // static destructors and atexit handlers, which would race them.
                fflush(nil)
                _exit(1)
            }
            exit(0)
        }
        source.resume()
        return source
    }
}

import Dispatch
import Foundation
import Logging

#if canImport(Glibc)
import Glibc
#endif

/// Serves until SIGINT or SIGTERM, then runs `shutdown` (the graceful stop) and exits 0.
/// The signals are ignored for default delivery and observed through DispatchSource
/// signal sources on a queue of their own, so the handler may block while draining.
func runUntilTerminated(logger: Logger, shutdown: @escaping @Sendable () -> Void) -> Never {
    let queue = DispatchQueue(label: "autograd-server.signals")
    let sources = [SIGINT, SIGTERM].map { number -> DispatchSourceSignal in
        signal(number, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
        source.setEventHandler {
            logger.info("received signal \(number), stopping")
            shutdown()
            exit(0)
        }
        source.resume()
        return source
    }
    withExtendedLifetime(sources) { dispatchMain() }
}

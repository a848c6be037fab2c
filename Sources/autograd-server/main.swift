// autograd-server: the command line around AutogradServer.HTTPServer.
// Keep C callbacks out of this file: top-level code here is main-actor isolated under
// Swift 6, and libmicrohttpd calls its callbacks from its own thread.
import ArgumentParser
import AutogradGraph
import AutogradServer
import Foundation
import Logging

struct AutogradServerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "autograd-server",
        abstract: "Serve reverse-mode autodiff over HTTP: POST a JSON graph, get values and gradients.")

    @Option(help: "Numeric IPv4 or IPv6 address to listen on.")
    var host = "127.0.0.1"

    @Option(help: "TCP port; 0 picks a free one (the log says which).")
    var port = 8080

    @Option(help: "Largest accepted request body in bytes; larger ones get 413.")
    var maxBodyBytes = ServerConfiguration.defaultMaxBodyBytes

    @Option(help: "Most graph computations running at once (default: number of cores).")
    var maxInflight = ProcessInfo.processInfo.activeProcessorCount

    @Option(help: "This instance's name in the X-Served-By header of every answer (default: HOSTNAME:PORT).")
    var instanceID: String?

    @Option(help: "Log lines as text or json (one JSON object per line, request fields as members).")
    var logFormat = LogFormat.text

    var serverConfiguration: ServerConfiguration {
        var configuration = ServerConfiguration(host: host, port: port, maxBodyBytes: maxBodyBytes, maxInflight: maxInflight)
        configuration.instanceID = instanceID
        configuration.logFormat = logFormat
        return configuration
    }

    func validate() throws {
        let errors = serverConfiguration.validationErrors()
        if !errors.isEmpty { throw ValidationError(errors.joined(separator: "; ")) }
    }

    func run() throws {
        switch logFormat {
        case .text: LoggingSystem.bootstrap(StreamLogHandler.standardError)
        case .json: LoggingSystem.bootstrap(JSONLogHandler.standardError)
        }
        let logger = Logger(label: "autograd-server")
        let server = HTTPServer(configuration: serverConfiguration, service: GraphService(), logger: logger)
        let signalSources = handleTerminationSignals(logger: logger) { server.stop() }
        do {
            try server.start()
        } catch {
            logger.critical("\(error)")
            throw ExitCode.failure
        }
        withExtendedLifetime(signalSources) { dispatchMain() }
    }
}

extension LogFormat: ExpressibleByArgument {}

AutogradServerCommand.main()

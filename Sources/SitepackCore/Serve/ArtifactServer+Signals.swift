public import Logging
public import ServiceLifecycle
import UnixSignals

extension ArtifactServer {
    /// Runs the server in a `ServiceGroup` that shuts it down gracefully on SIGTERM (what Mesos sends) or
    /// SIGINT, and returns once in-flight responses finished or the grace period ran out.
    ///
    /// `whenReady` is called once the signals are trapped, just before serving: announce the server there
    /// (print its URLs), so that whoever waits for that announcement and then sends SIGTERM gets a graceful
    /// shutdown rather than the default action (exit by signal) of a process that has not trapped it yet.
    public func runUntilSignalled(logger: Logger, whenReady: @escaping @Sendable () -> Void = {}) async throws {
        let group = ServiceGroup(configuration: .init(
            services: [.init(service: AnnouncedService(server: self, whenReady: whenReady))],
            gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }
}

/// The server as the service group runs it: the group traps its signals before it starts any service,
/// so `whenReady` runs with them trapped.
private struct AnnouncedService: Service {
    let server: ArtifactServer
    let whenReady: @Sendable () -> Void

    func run() async throws {
        whenReady()
        try await server.run()
    }
}

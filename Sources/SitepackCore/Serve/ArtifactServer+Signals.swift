public import Logging
import ServiceLifecycle
import UnixSignals

extension ArtifactServer {
    /// Runs the server in a `ServiceGroup` that shuts it down gracefully on SIGTERM (what Mesos sends) or
    /// SIGINT, and returns once in-flight responses finished or the grace period ran out.
    public func runUntilSignalled(logger: Logger) async throws {
        let group = ServiceGroup(configuration: .init(
            services: [.init(service: self)], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }
}

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

extension ServeConfiguration {
    /// Parses `30s`, `500ms`, `2m`, `1h` or a plain number of seconds.
    public static func parseDuration(_ text: String) -> Duration? {
        let units: [(String, Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600)]
        for (suffix, scale) in units where text.hasSuffix(suffix) {
            guard let value = Double(text.dropLast(suffix.count)), value >= 0, value.isFinite else { return nil }
            return .milliseconds(Int64((value * scale * 1000).rounded()))
        }
        guard let value = Double(text), value >= 0, value.isFinite else { return nil }
        return .milliseconds(Int64((value * 1000).rounded()))
    }
}

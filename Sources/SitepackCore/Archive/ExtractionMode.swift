/// How `sitepack fetch` extracts archives.
public enum ExtractionMode: String, Sendable, Codable {
    /// Safe by default: see ``ExtractionPolicy``.
    case strict
    /// Exactly what a Mesos ≥ 1.8 agent does (libarchive `format_all`/`filter_all`, `TIME | SECURE_NODOTDOT`).
    case mesosCompat = "mesos-compat"
}

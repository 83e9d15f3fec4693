/// What `sitepack check` is asked to check, and how.
public struct CheckOptions: Sendable {
    /// Where the site comes from.
    public enum Source: Sendable, Equatable {
        /// A store (`build -o DIR`): its newest version, or the one ``CheckOptions/name``/``CheckOptions/sha256`` pick.
        case store(String)
        /// An artifact URL, used as is (no local server).
        case url(String)
        /// A TaskInfo, an ACCEPT call body or a Marathon app (JSON file), run as given.
        case task(String)
    }

    /// What to check.
    public var source: Source
    /// The site to pick from a store holding several.
    public var name: String?
    /// The version to pick from a store (default: the newest).
    public var sha256: String?
    /// What serves the site (ignored with `--task`, which carries its own command).
    public var runtime: SiteRuntime = .python
    /// Extract exactly as Mesos ≥ 1.8 does instead of strict mode.
    public var mesosCompat = false
    /// Build the task with `cache: false` URIs (`--no-cache`); by default content-addressed URIs are
    /// cached, and fetched the way an agent's fetcher cache does (HEAD for the size first).
    public var noCache = false
    /// Keep the sandbox (its path is in the report).
    public var keep = false
    /// How long the task may take to open its port and pass its health check.
    public var timeout: Duration = .seconds(60)

    /// Options for a source, with the defaults.
    public init(source: Source) { self.source = source }
}

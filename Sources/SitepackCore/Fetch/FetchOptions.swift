import Foundation

/// Settings of one `sitepack fetch` run.
public struct FetchOptions: Sendable {
    /// The sandbox folder (created if missing).
    public var sandbox: String
    /// Strict (default) or Mesos-compatible extraction.
    public var mode: ExtractionMode = .strict
    /// Strict-mode limits.
    public var limits = ExtractionLimits()
    /// The expected sha256 of the (single) URI's bytes. A content-addressed URI carries its own
    /// (``FetchPlan/contentAddress``); this one must then agree with it.
    public var sha256: String?
    /// Cache every URI (as `cache: true`), in addition to URIs that ask for it.
    public var cacheAll = false
    /// The cache folder.
    public var cacheDirectory: String = FetchCache.defaultDirectory
    /// The cache's size bound (Mesos's `--fetcher_cache_size` default, 2 GB).
    public var cacheSize: Int64 = 2_000_000_000
    /// Mesos's `--fetcher_stall_timeout` (seconds under 1 byte/s before giving up).
    public var stallTimeoutSeconds = 60
    /// Retries after transport errors, with exponential backoff from ``retryDelay`` seconds.
    public var retries = 3
    /// First backoff delay in seconds (doubled each retry, capped at 30 s).
    public var retryDelay: Double = 1
    /// Show progress on stderr (only when it is a terminal).
    public var progress = true
    /// Inflating threads for sitepack's multi-member gzip (default: every core).
    public var threads = ProcessInfo.processInfo.activeProcessorCount

    /// Options for a sandbox folder.
    public init(sandbox: String) { self.sandbox = sandbox }
}

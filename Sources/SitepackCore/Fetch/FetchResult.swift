/// What fetching one URI did (the `--json` summary).
public struct FetchResult: Sendable, Codable, Equatable {
    /// The URI as given.
    public var uri: String
    /// The destination path (the archive's path, kept in the sandbox, or the output file).
    public var path: String
    /// What was done.
    public var action: MesosURI.Action
    /// Regular files written (1 for a copy).
    public var files: Int
    /// Bytes fetched.
    public var bytes: Int64
    /// Bytes written by extraction or gunzip.
    public var extractedBytes: Int64
    /// sha256 of the fetched bytes.
    public var sha256: String
    /// Wall time.
    public var seconds: Double
    /// `hit`, `miss`, or nil when the cache was not used.
    public var cache: String?
    /// What the cache entry is keyed by: `sha256` (the digest, from `--sha256` or a content-addressed
    /// URL: never stale) or `uri` (Mesos's key: whatever the URI answered first); nil without the cache.
    public var cacheKey: String?
    /// Whether the bytes were checked against a known digest (`--sha256` or the URL's own) before use.
    public var verified: Bool
    /// Entries whose setuid/setgid/sticky bits were dropped.
    public var defused: [String]
    /// Warnings shown.
    public var warnings: [String]
    /// For a cached http(s) URI, what the agent's size probe (a HEAD) saw; nil when none was made.
    public var sizeProbe: CacheSizeProbe?

    enum CodingKeys: String, CodingKey {
        case uri, path, action, files, bytes, sha256, seconds, cache, verified, defused, warnings
        case extractedBytes = "extracted_bytes", cacheKey = "cache_key", sizeProbe = "size_probe"
    }

    /// Takes the counts of an extraction.
    mutating func record(_ summary: ExtractionSummary) {
        files = summary.files
        extractedBytes = summary.bytes
        defused = summary.defusedSpecialBits
    }
}

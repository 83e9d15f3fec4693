/// The result of walking a site folder.
public struct SiteScan: Sendable {
    /// Entries in archive order: byte-wise sorted archive paths.
    public var entries: SiteEntries
    /// What was left out, and why.
    public var excluded: [Manifest.Exclusion]
    /// The newest mtime (seconds) among the entries, for the newest-file mtime policy.
    public var newestMtime: Int64
}

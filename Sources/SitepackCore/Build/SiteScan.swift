/// The result of walking a site folder.
public struct SiteScan: Sendable {
    /// Entries in archive order: byte-wise sorted archive paths.
    public var entries: [SiteEntry]
    /// What was left out, and why.
    public var excluded: [Manifest.Exclusion]
}

/// One thing to put in the archive, found by ``SiteScanner``.
public struct SiteEntry: Sendable, Equatable {
    /// Path inside the archive, `<prefix>/<relative path>` (the prefix folder itself is just `<prefix>`).
    public var archivePath: String
    /// Where to read a file's bytes from (the link target's path when following symlinks).
    public var sourcePath: String
    /// What it is.
    public var kind: TarEntryKind
    /// The normalised mode: 0755 for folders and executables, 0644 for other files, 0777 for symlinks.
    public var mode: UInt32
    /// The source's own mtime (seconds), for the newest-file policy.
    public var mtime: Int64
}

/// The kind of a tar entry sitepack writes.
public enum TarEntryKind: Sendable, Equatable {
    /// A regular file of the given size.
    case file(size: Int64)
    /// A directory.
    case directory
    /// A symbolic link with a relative target.
    case symlink(target: String)
}

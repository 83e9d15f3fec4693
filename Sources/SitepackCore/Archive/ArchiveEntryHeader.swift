/// One entry header, copied out of libarchive.
public struct ArchiveEntryHeader: Sendable, Equatable {
    /// The name as stored (UTF-8 when libarchive can decode it).
    public var path: String
    /// What it is.
    public var kind: ArchiveEntryKind
    /// The size in the header (0 when unset).
    public var size: Int64
    /// Permission bits including setuid/setgid/sticky (`mode & 0o7777`).
    public var permissions: UInt32
    /// True when the entry describes a sparse file.
    public var isSparse: Bool
    /// Modification time, seconds since the epoch.
    public var mtime: Int64
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What `stat` says about a file, enough to tell whether it changed since we last looked.
public struct FileIdentity: Hashable, Sendable {
    public var device: UInt64
    public var inode: UInt64
    public var size: Int64
    public var modifiedNanoseconds: Int64
    public var changedNanoseconds: Int64
    public var isRegularFile: Bool
    public var isDirectory: Bool

    /// Reads the identity from a `stat` result.
    init(_ info: stat) {
        device = UInt64(info.st_dev)
        inode = UInt64(info.st_ino)
        size = Int64(info.st_size)
        modifiedNanoseconds = info.st_mtim.nanoseconds
        changedNanoseconds = info.st_ctim.nanoseconds
        let type = info.st_mode & S_IFMT
        isRegularFile = type == S_IFREG
        isDirectory = type == S_IFDIR
    }

    /// `stat` of an open descriptor.
    static func of(descriptor: Int32) -> FileIdentity? {
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { return nil }
        return FileIdentity(info)
    }

    /// `stat` (following symlinks) of a path.
    static func of(path: String) -> FileIdentity? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return FileIdentity(info)
    }

    /// `lstat` (not following symlinks) of a path.
    static func ofLink(path: String) -> FileIdentity? {
        var info = stat()
        guard lstat(path, &info) == 0 else { return nil }
        return FileIdentity(info)
    }

    /// The part of the identity that changes when the bytes do: the file (device, inode), its size and mtime.
    ///
    /// The ctime is left out on purpose. A store hard-links `DIR/content.tar.gz` to the newest version's
    /// archive, and every link or unlink of an inode changes its ctime without touching a byte, so a
    /// ctime-keyed digest would go stale (and a 500 MB archive be hashed again) at every publish.
    public struct Content: Hashable, Sendable {
        /// The file system's device number.
        public var device: UInt64
        /// The inode number on that device.
        public var inode: UInt64
        /// Size in bytes.
        public var size: Int64
        /// Modification time in nanoseconds since the epoch.
        public var modifiedNanoseconds: Int64
    }

    /// See ``Content``.
    public var content: Content { Content(device: device, inode: inode, size: size, modifiedNanoseconds: modifiedNanoseconds) }

    /// Whether `other` is the same file with the same bytes, as far as `stat` can tell (ctime aside: see ``Content``).
    public func hasSameContent(as other: FileIdentity) -> Bool { content == other.content }

    /// Modification time in whole seconds (what Last-Modified can carry).
    public var modifiedSeconds: Int64 { modifiedNanoseconds / 1_000_000_000 }

    /// A cheap strong validator for files without a content digest: inode, mtime and size, nginx-style hex.
    ///
    /// The inode is included because sitepack archives give every file the same mtime: two builds of a
    /// site extracted into fresh sandboxes then still get different tags.
    public var cheapEntityTag: String {
        "\"\(String(inode, radix: 16))-\(String(modifiedNanoseconds, radix: 16))-\(String(size, radix: 16))\""
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A system call of ``DirectoryWriter`` that failed, with the relative path it acted on.
struct DiskWriteFailure: Error, Sendable {
    /// The call, such as `openat`.
    var call: String
    /// Its `errno`.
    var errno: Int32
    /// The path relative to the extraction root.
    var path: String

    /// The disk does not look the way the archive's own entries made it (a name taken, a folder that is a
    /// symlink or a file, a name or nesting the file system cannot hold): the archive is refused rather
    /// than written through or over.
    var isUnsafe: Bool { [EEXIST, ELOOP, ENOTDIR, EISDIR, EMLINK, ENAMETOOLONG].contains(errno) }
}

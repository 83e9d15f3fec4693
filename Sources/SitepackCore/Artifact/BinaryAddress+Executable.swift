#if canImport(Glibc)
import Glibc
#endif
import Crypto
import Synchronization

/// The address of a binary on disk: its bytes hashed through an open descriptor.
extension BinaryAddress {
    /// The running executable on Linux: the file the process was started from, even if that path has
    /// been replaced since (an upgrade in place renames a new file over it).
    public static let runningExecutablePath = "/proc/self/exe"

    /// The address of the running sitepack binary: what `sitepack serve` of the same build offers at
    /// `/bin/<sha256>/sitepack`. Blocking (a release binary is about 90 MB); hashed once per process.
    public static func runningExecutable() throws -> BinaryAddress {
        try of(path: runningExecutablePath)
    }

    /// The address of the file at `path`, hashed through one descriptor opened here.
    public static func of(path: String) throws -> BinaryAddress {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw SitepackError(.io, "cannot open \(path) to hash it: \(String(cString: strerror(errno)))", underlying: SystemCallError("open", errno: errno))
        }
        defer { close(fd) }
        return try of(descriptor: fd, path: path)
    }

    /// The address of the regular file open at `fd`, read from offset 0 with `pread` (the descriptor's
    /// own offset is left alone, so a server can hash the very descriptor it then sends). Blocking:
    /// never call it on an event loop. A file already hashed in this process (same device, inode, size
    /// and mtime) is not read again.
    public static func of(descriptor fd: Int32, path: String) throws -> BinaryAddress {
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            throw SitepackError(.io, "cannot stat \(path): \(String(cString: strerror(errno)))", underlying: SystemCallError("fstat", errno: errno))
        }
        guard info.st_mode & S_IFMT == S_IFREG else {
            throw SitepackError(.io, "\(path) is not a regular file, so it has no digest to serve it under")
        }
        let key = HashedFile(info)
        if let known = hashed.withLock({ $0[key] }) { return try BinaryAddress(sha256: known) }
        var hasher = SHA256()
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { buffer.deallocate() }
        var offset: off_t = 0
        while true {
            let count = pread(fd, buffer.baseAddress, buffer.count, offset)
            if count < 0 {
                if errno == EINTR { continue }
                throw SitepackError(.io, "cannot read \(path): \(String(cString: strerror(errno)))", underlying: SystemCallError("pread", errno: errno))
            }
            if count == 0 { break }
            hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
            offset += off_t(count)
        }
        guard offset == off_t(info.st_size) else {
            throw SitepackError(.io, "\(path) changed while it was hashed (\(offset) bytes read, \(info.st_size) expected)")
        }
        let digest = hasher.finalize().hex
        hashed.withLock { $0[key] = digest }
        return try BinaryAddress(sha256: digest)
    }

    /// Digests already computed in this process, by file identity.
    private static let hashed = Mutex<[HashedFile: String]>([:])

    /// What `stat` says changes when a file's bytes do (ctime aside: linking changes it, not the bytes).
    private struct HashedFile: Hashable, Sendable {
        var device: UInt64
        var inode: UInt64
        var size: Int64
        var modifiedNanoseconds: Int64

        init(_ info: stat) {
            device = UInt64(info.st_dev)
            inode = UInt64(info.st_ino)
            size = Int64(info.st_size)
            modifiedNanoseconds = info.st_mtim.nanoseconds
        }
    }
}

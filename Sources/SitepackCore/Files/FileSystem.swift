#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// The few whole-path file-system steps that atomic writers (the build output, the store, gc) share,
/// each turning a failed call into a ``SitepackError`` that names the path.
public enum FileSystem {
    /// Flushes a folder's entries (renames, new names) to stable storage; errors are ignored where the
    /// file system cannot sync folders.
    public static func syncDirectory(_ path: String) {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return }
        fsync(fd)
        close(fd)
    }

    /// Creates a new, empty folder from a `mkdtemp` template ending in `XXXXXX` and returns its path.
    public static func makeTemporaryDirectory(template: String) throws -> String {
        var bytes = Array(template.utf8CString)
        let made = bytes.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        guard made != nil else {
            let code = errno
            let folder = (template as NSString).deletingLastPathComponent
            throw SitepackError(.io, "cannot create a folder in \(folder): \(String(cString: strerror(code)))", underlying: SystemCallError("mkdtemp", errno: code))
        }
        return String(decoding: bytes.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Creates `path` and its parents if missing.
    public static func makeDirectories(_ path: String) throws {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw SitepackError(.io, "cannot create folder \(path): \(error.localizedDescription)")
        }
    }

    /// Renames `source` to `destination` (atomic within one file system).
    public static func rename(_ source: String, to destination: String) throws {
        guard Glibc.rename(source, destination) == 0 else {
            let code = errno
            throw SitepackError(.io, "cannot move \(source) to \(destination): \(String(cString: strerror(code)))", underlying: SystemCallError("rename", errno: code))
        }
    }

    /// Removes a file or a whole folder tree; a missing path is not an error.
    public static func removeTree(_ path: String) throws {
        var info = stat()
        guard lstat(path, &info) == 0 else { return }
        do {
            try FileManager.default.removeItem(atPath: path)
        } catch {
            throw SitepackError(.io, "cannot remove \(path): \(error.localizedDescription)")
        }
    }

    /// Whether `path` still names the entry open as `fd` (same device and inode).
    static func sameEntry(_ fd: Int32, _ path: String) -> Bool {
        var open = stat()
        guard fstat(fd, &open) == 0, let named = status(path) else { return false }
        return open.st_dev == named.st_dev && open.st_ino == named.st_ino
    }

    /// `lstat` of a path, or nil when it does not exist or cannot be read.
    static func status(_ path: String) -> stat? {
        var info = stat()
        return lstat(path, &info) == 0 ? info : nil
    }

    /// Whether a path is a folder (not following a final symlink).
    public static func isDirectory(_ path: String) -> Bool {
        status(path).map { $0.st_mode & S_IFMT == S_IFDIR } ?? false
    }

    /// Sets a path's access and modification times to `nanoseconds` since 1970, without following a final symlink.
    public static func setModified(_ path: String, nanoseconds: Int64) throws {
        var times = [timespec(nanoseconds: nanoseconds), timespec(nanoseconds: nanoseconds)]
        guard utimensat(AT_FDCWD, path, &times, AT_SYMLINK_NOFOLLOW) == 0 else {
            let code = errno
            throw SitepackError(.io, "cannot set the time of \(path): \(String(cString: strerror(code)))", underlying: SystemCallError("utimensat", errno: code))
        }
    }

    /// The real-time clock now, in nanoseconds since 1970.
    public static func nowNanoseconds() -> Int64 { timespec.realtimeNanoseconds() }

    /// Modification time of a `stat` in nanoseconds since 1970.
    static func modifiedNanoseconds(_ info: stat) -> Int64 {
        info.st_mtim.nanoseconds
    }

    /// Names in a folder (without `.` and `..`), or an empty list if it cannot be read.
    public static func names(in folder: String) -> [String] {
        (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
    }
}

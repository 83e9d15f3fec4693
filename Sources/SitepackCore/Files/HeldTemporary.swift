#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Temporary files and folders that their creator holds with an exclusive `flock` for as long as it
/// writes them, so a sweep of leftovers can tell the work of a live process (held: left alone) from
/// what a killed one left behind (not held: removed) — at once, with no age guess, even when several
/// processes share the folder (a `serve` restarting beside a running `build`).
///
/// The lock belongs to the open file description, so it ends when the holder closes the descriptor
/// or dies in any way, `kill -9` included; descriptors are close-on-exec, so a child process never
/// keeps a dead parent's temporary alive.
///
/// A sweep may reach a new entry in the instant between its creation and its lock: the sweeper
/// removes only while it holds the lock itself, and the creator, once locked, checks that the path
/// still names what it locked, and otherwise makes another.
public enum HeldTemporary {
    /// How many times creation is retried when a sweep removed the entry before it was locked.
    static let attempts = 8

    /// Creates and locks a new file from a `mkstemp` template ending in `XXXXXX`. The returned
    /// descriptor (opened read-write, close-on-exec) holds the lock; close it to release.
    public static func makeFile(template: String) throws -> (fd: Int32, path: String) {
        try make { () throws -> (Int32, String) in
            var bytes = Array(template.utf8CString)
            let fd = bytes.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
            guard fd >= 0 else {
                let code = errno
                throw SitepackError(.io, "cannot create a file in \(parent(of: template)): \(String(cString: strerror(code)))", underlying: SystemCallError("mkstemp", errno: code))
            }
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            return (fd, String(decoding: bytes.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
    }

    /// Creates and locks a new folder from a `mkdtemp` template ending in `XXXXXX`. The returned
    /// descriptor (the folder opened read-only) holds the lock; close it once the folder has been
    /// renamed into place or removed.
    public static func makeDirectory(template: String) throws -> (fd: Int32, path: String) {
        try make { () throws -> (Int32, String) in
            let path = try FileSystem.makeTemporaryDirectory(template: template)
            let fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            guard fd >= 0 else {
                let code = errno
                if code == ENOENT { return (-1, path) }
                throw SitepackError(.io, "cannot open the folder \(path) just created: \(String(cString: strerror(code)))", underlying: SystemCallError("open", errno: code))
            }
            return (fd, path)
        }
    }

    /// Locks `path` — an existing entry its caller is about to rename and remove (gc's versions) — so
    /// that a sweep leaves it alone meanwhile. Returns the descriptor holding the lock, or -1 when it
    /// cannot be opened (then nothing is held, and nothing breaks: the entry is removed by its owner).
    public static func hold(_ path: String) -> Int32 {
        let fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else { return -1 }
        while flock(fd, LOCK_EX) != 0 && errno == EINTR {}
        return fd
    }

    /// Whether a live process holds `path` (made by ``makeFile(template:)`` or ``makeDirectory(template:)``,
    /// or held by ``hold(_:)``). An entry that cannot be opened (a symlink, gone) is not held.
    public static func isHeld(_ path: String) -> Bool {
        let fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        return flock(fd, LOCK_EX | LOCK_NB) != 0 && errno == EWOULDBLOCK
    }

    /// Removes `path` (a file or a whole folder) unless a live process holds it, holding the lock
    /// itself while it removes. Returns whether it removed it; a symlink or any other entry that
    /// cannot be opened is removed as a plain name.
    @discardableResult
    public static func removeIfAbandoned(_ path: String) throws -> Bool {
        let fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else {
            if errno == ENOENT { return false }
            try FileSystem.removeTree(path)
            return true
        }
        defer { close(fd) }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else { return false }
        // Still the entry that was locked (not replaced by a new one of the same name meanwhile)?
        guard FileSystem.sameEntry(fd, path) else { return false }
        try FileSystem.removeTree(path)
        return true
    }

    /// Creates with `create` until the entry it locked is still at its path.
    private static func make(_ create: () throws -> (Int32, String)) throws -> (fd: Int32, path: String) {
        for _ in 0..<attempts {
            let (fd, path) = try create()
            guard fd >= 0 else { continue }
            while flock(fd, LOCK_EX) != 0 {
                guard errno == EINTR else {
                    let code = errno
                    close(fd)
                    throw SitepackError(.io, "cannot lock \(path): \(String(cString: strerror(code)))", underlying: SystemCallError("flock", errno: code))
                }
            }
            if FileSystem.sameEntry(fd, path) { return (fd, path) }
            close(fd)
        }
        throw SitepackError(.io, "cannot keep a temporary entry in a folder another process keeps sweeping; is something removing hidden .tmp- entries there?")
    }

    private static func parent(of template: String) -> String {
        guard let slash = template.lastIndex(of: "/") else { return "." }
        return String(template[..<slash])
    }
}

import NIOCore
#if canImport(Glibc)
import Glibc
#endif

/// The served folder: opens files under it so that nothing outside can be reached.
///
/// A path is opened as given and then checked by where the kernel says the descriptor really points
/// (`/proc/self/fd/N`), so a symlink under the folder that leads outside — or one swapped in while the
/// request runs — is refused rather than followed. Dotfiles are refused at every level, including
/// ones reached through a symlink.
struct ServedFolder: Sendable {
    /// The real (symlink-free) path of the folder.
    let root: String

    /// What a lookup found.
    enum Lookup {
        /// A regular file, open; the caller owns `handle` and must close it.
        case file(handle: NIOFileHandle, identity: FileIdentity)
        /// A directory.
        case directory
        /// Missing, unreadable, outside the folder, hidden or not a regular file.
        case notFound
    }

    /// Opens `relative` (segments joined by `/`, already checked by ``RequestPath``).
    func open(_ relative: String) -> Lookup {
        let path = relative.isEmpty ? root : root + "/" + relative
        let fd = Glibc.open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY)
        guard fd >= 0 else { return .notFound }
        guard let real = Self.realPath(of: fd), isInside(real), let identity = FileIdentity.of(descriptor: fd) else {
            Glibc.close(fd)
            return .notFound
        }
        if identity.isDirectory {
            Glibc.close(fd)
            return .directory
        }
        guard identity.isRegularFile else {
            Glibc.close(fd)
            return .notFound
        }
        return .file(handle: NIOFileHandle(_deprecatedTakingOwnershipOfDescriptor: fd), identity: identity)
    }

    /// The stat identity of `relative` now (following symlinks), for cache revalidation.
    func identity(of relative: String) -> FileIdentity? {
        FileIdentity.of(path: relative.isEmpty ? root : root + "/" + relative)
    }

    /// Whether a real path lies inside the folder without passing through a dot-named component.
    func isInside(_ real: String) -> Bool {
        if real == root { return true }
        let prefix = root == "/" ? "/" : root + "/"
        guard real.hasPrefix(prefix) else { return false }
        return !Self.isHidden(real.dropFirst(prefix.count))
    }

    /// Whether a path relative to the folder passes through a dot-named component: such files and
    /// folders are never served (`check` knows a 404 for them is this rule, not a missing file).
    static func isHidden(_ relative: Substring) -> Bool {
        relative.split(separator: "/").contains { $0.hasPrefix(".") }
    }

    /// Where an open descriptor really points, from `/proc/self/fd`.
    static func realPath(of fd: Int32) -> String? {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let count = readlink("/proc/self/fd/\(fd)", &buffer, Int(PATH_MAX))
        guard count > 0 else { return nil }
        let text = String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        // A file deleted after open reads as "path (deleted)"; it is still the file we opened.
        return text.hasSuffix(" (deleted)") ? String(text.dropLast(10)) : text
    }

    /// Reads a whole small file from `handle` at offset 0 into a buffer.
    static func readAll(_ handle: NIOFileHandle, size: Int, allocator: ByteBufferAllocator) -> ByteBuffer? {
        var buffer = allocator.buffer(capacity: size)
        let ok: Bool = (try? handle.withUnsafeFileDescriptor { fd -> Bool in
            var done = 0
            let read = buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: size) { raw -> Int in
                while done < size {
                    let got = pread(fd, raw.baseAddress! + done, size - done, off_t(done))
                    if got < 0 { if errno == EINTR { continue }; return 0 }
                    if got == 0 { break }
                    done += got
                }
                return done
            }
            return read == size
        }) ?? false
        return ok ? buffer : nil
    }
}

extension ServedFolder {
    /// Opens an absolute path the catalog found under the root, with the same containment check.
    func openAbsolute(_ path: String) -> Lookup {
        let prefix = root == "/" ? "/" : root + "/"
        guard path.hasPrefix(prefix) else { return .notFound }
        return open(String(path.dropFirst(prefix.count)))
    }
}

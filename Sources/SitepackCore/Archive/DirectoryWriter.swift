#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Creates an archive's folders, files and links below one root folder with `*at` system calls on
/// directory descriptors: no path is ever resolved from the working directory (which stays untouched,
/// so other threads may spawn processes meanwhile), no symlink is followed (`O_NOFOLLOW` on every
/// component, `O_EXCL` on every file), nothing existing is overwritten, and the umask is never changed.
///
/// Folders of the current entry's path stay open on a stack, so a sorted archive opens each folder once
/// and creates every entry with a single call relative to its parent; entries in any other order still
/// work (the stack is unwound and rebuilt). A folder's times are set when it leaves the stack, after the
/// last entry created in it, as libarchive's end-of-extraction fix-up does; one that is entered again
/// later gets them again when it leaves again.
struct DirectoryWriter: ~Copyable {
    /// One folder on the path of the current entry; `fd` is -1 until something is created in it.
    private struct OpenFolder {
        var path: String
        var name: String
        var fd: Int32
        var times: EntryTimes?
    }

    /// Most folders kept open at once (the nesting depth an archive may have): far beyond any website,
    /// far below `RLIMIT_NOFILE`.
    static let maxDepth = 256

    private let rootFD: Int32
    private var stack: [OpenFolder] = []
    /// Times of the folders the archive has entries for, so a folder entered again gets them again.
    private var folderTimes: [String: EntryTimes] = [:]
    /// Bits of 0755 the process umask clears; when non-zero every created object gets an `fchmod`.
    let maskedBits: mode_t
    /// The threads creating files relative to this writer's folder descriptors, if any. While set,
    /// folders that leave the stack stay open, untimed, until ``settleRetired()``; and this writer
    /// stops the pool before it closes any descriptor, on every path (errors included).
    var pool: FileWriterPool?
    private var defersFolders: Bool { pool != nil }
    /// Folders that left the stack while ``defersFolders``: still open, their times not set yet.
    private var retired: [OpenFolder] = []
    /// How many folders wait for ``settleRetired()``.
    var retiredCount: Int { retired.count }

    /// Opens `root` (an existing, empty folder) without following a symlink.
    init(root: String) throws {
        let fd = open(root, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else { throw DiskWriteFailure(call: "open", errno: errno, path: ".") }
        rootFD = fd
        maskedBits = Self.processUmask().map { $0 & 0o777 } ?? 0o777
    }

    deinit {
        pool?.shutdown()
        for folder in stack + retired where folder.fd >= 0 { close(folder.fd) }
        close(rootFD)
    }

    /// The umask, read from `/proc/self/status` (Linux ≥ 4.7) because `umask(2)` can only be read by
    /// changing it, which would race with every other thread creating files; nil when unknown.
    private static func processUmask() -> mode_t? {
        let fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes = [UInt8](repeating: 0, count: 4096)
        let got = bytes.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        guard got > 0 else { return nil }
        let text = String(decoding: bytes[0..<got], as: UTF8.self)
        for line in text.split(separator: "\n") where line.hasPrefix("Umask:") {
            return mode_t(line.dropFirst(6).trimmingPrefix(while: { $0 == " " || $0 == "\t" }), radix: 8)
        }
        return nil
    }

    // MARK: Entries

    /// Creates the folder `path` (components relative to the root) with `mode`, or adopts the folder an
    /// earlier entry created implicitly; its times are set once nothing more is created in it.
    mutating func makeFolder(_ components: [Substring], mode: mode_t, times: EntryTimes?) throws {
        let path = components.joined(separator: "/")
        let name = String(components[components.count - 1])
        let parent = try parentFD(components.dropLast())
        if mkdirat(parent, name, mode) != 0 {
            guard errno == EEXIST else { throw DiskWriteFailure(call: "mkdirat", errno: errno, path: path) }
            // Only a folder made implicitly for an earlier entry can be here (the policy refuses duplicate
            // names); opening it without following proves it is a real folder.
            let fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            guard fd >= 0 else { throw DiskWriteFailure(call: "openat", errno: errno, path: path) }
            try push(OpenFolder(path: path, name: name, fd: fd, times: times))
            if mode != 0o755 { try fixMode(of: fd, to: mode, path: path) }
        } else {
            try push(OpenFolder(path: path, name: name, fd: -1, times: times))
            if maskedBits & mode != 0 { try fixMode(of: try openTop(), to: mode, path: path) }
        }
        if let times { folderTimes[path] = times }
    }

    /// Creates the regular file `path` with its final `mode`, never following or replacing anything, and
    /// returns its descriptor for writing.
    mutating func createFile(_ components: [Substring], mode: mode_t) throws -> Int32 {
        let parent = try parentFD(components.dropLast())
        let fd = openat(parent, String(components[components.count - 1]), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode)
        guard fd >= 0 else { throw DiskWriteFailure(call: "openat", errno: errno, path: components.joined(separator: "/")) }
        if maskedBits & mode != 0 {
            do { try fixMode(of: fd, to: mode, path: components.joined(separator: "/")) } catch {
                close(fd)
                throw error
            }
        }
        return fd
    }

    /// The open parent folder and the name of the regular file `path`, for a file another thread will
    /// create (with ``FileWriterPool``); the descriptor stays open until that file is made, since
    /// folders are retired rather than closed while ``defersFolders`` (see ``settleRetired()``).
    mutating func fileSlot(_ components: [Substring]) throws -> (parent: Int32, name: String) {
        (try parentFD(components.dropLast()), String(components[components.count - 1]))
    }

    /// Sets the times of the retired folders and closes them; call once every file created in them
    /// by other threads exists.
    mutating func settleRetired() throws {
        var failure: DiskWriteFailure?
        for folder in retired {
            if let times = folder.times, failure == nil, times.withPointer({ futimens(folder.fd, $0) }) != 0 {
                failure = DiskWriteFailure(call: "utimensat", errno: errno, path: folder.path)
            }
            close(folder.fd)
        }
        retired = []
        if let failure { throw failure }
    }

    /// Creates the symlink `path` pointing to `target` (written as stored) and gives the link itself `times`.
    mutating func makeSymlink(_ components: [Substring], target: String, times: EntryTimes?) throws {
        let parent = try parentFD(components.dropLast())
        let name = String(components[components.count - 1])
        guard symlinkat(target, parent, name) == 0 else {
            throw DiskWriteFailure(call: "symlinkat", errno: errno, path: components.joined(separator: "/"))
        }
        if let times {
            let result = times.withPointer { utimensat(parent, name, $0, AT_SYMLINK_NOFOLLOW) }
            guard result == 0 else { throw DiskWriteFailure(call: "utimensat", errno: errno, path: components.joined(separator: "/")) }
        }
    }

    /// Creates `path` as a second name of the regular file `target` (both relative to the root). When
    /// `openForWriting`, returns a descriptor that replaces the shared content (a hard link with data).
    mutating func makeHardlink(_ components: [Substring], to target: [Substring], openForWriting: Bool) throws -> Int32? {
        let path = components.joined(separator: "/")
        let targetFolder = try openDetached(target.dropLast())
        defer { if targetFolder != rootFD { close(targetFolder) } }
        let parent = try parentFD(components.dropLast())
        let name = String(components[components.count - 1])
        guard linkat(targetFolder, String(target[target.count - 1]), parent, name, 0) == 0 else {
            throw DiskWriteFailure(call: "linkat", errno: errno, path: path)
        }
        guard openForWriting else { return nil }
        let fd = openat(parent, name, O_WRONLY | O_TRUNC | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else { throw DiskWriteFailure(call: "openat", errno: errno, path: path) }
        return fd
    }

    /// Sets the times of every folder still open (and retired) and closes them all, reporting the
    /// first failure. With ``defersFolders``, every file created by other threads must exist by now.
    consuming func finish() throws {
        try unwind(to: 0)
        try settleRetired()
    }

    // MARK: The folder stack

    /// The descriptor of the folder `components` (relative to the root), unwinding the stack to the
    /// longest common prefix and entering (or implicitly creating, mode 0755) the rest.
    private mutating func parentFD(_ components: ArraySlice<Substring>) throws -> Int32 {
        var depth = 0
        let start = components.startIndex
        while depth < stack.count, depth < components.count, stack[depth].name == components[start + depth] { depth += 1 }
        try unwind(to: depth)
        while stack.count < components.count {
            let name = String(components[start + stack.count])
            let path = stack.last.map { "\($0.path)/\(name)" } ?? name
            let parent = try openTop()
            var fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            if fd < 0 && errno == ENOENT {
                guard mkdirat(parent, name, 0o755) == 0 else { throw DiskWriteFailure(call: "mkdirat", errno: errno, path: path) }
                fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
                if fd >= 0 && maskedBits & 0o755 != 0 {
                    do { try fixMode(of: fd, to: 0o755, path: path) } catch {
                        close(fd)
                        throw error
                    }
                }
            }
            guard fd >= 0 else { throw DiskWriteFailure(call: "openat", errno: errno, path: path) }
            try push(OpenFolder(path: path, name: name, fd: fd, times: folderTimes[path]))
        }
        return try openTop()
    }

    /// The innermost folder's descriptor, opening it if nothing was created in it yet.
    private mutating func openTop() throws -> Int32 {
        guard let top = stack.last else { return rootFD }
        if top.fd >= 0 { return top.fd }
        let parent = stack.count >= 2 ? stack[stack.count - 2].fd : rootFD
        let fd = openat(parent, top.name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else { throw DiskWriteFailure(call: "openat", errno: errno, path: top.path) }
        stack[stack.count - 1].fd = fd
        return fd
    }

    private mutating func push(_ folder: OpenFolder) throws {
        guard stack.count < Self.maxDepth else {
            if folder.fd >= 0 { close(folder.fd) }
            throw DiskWriteFailure(call: "mkdirat", errno: ENAMETOOLONG, path: folder.path)
        }
        stack.append(folder)
    }

    /// Leaves folders until `depth` remain, setting each one's times after the last entry made in it.
    private mutating func unwind(to depth: Int) throws {
        var failure: DiskWriteFailure?
        while stack.count > depth {
            let folder = stack.removeLast()
            if defersFolders && folder.fd >= 0 {
                // Files may still be on their way into it: it keeps its descriptor, and its times wait.
                retired.append(folder)
                continue
            }
            if let times = folder.times, failure == nil {
                let result: Int32
                if folder.fd >= 0 {
                    result = times.withPointer { futimens(folder.fd, $0) }
                } else {
                    let parent = stack.last?.fd ?? rootFD
                    result = times.withPointer { utimensat(parent, folder.name, $0, AT_SYMLINK_NOFOLLOW) }
                }
                if result != 0 { failure = DiskWriteFailure(call: "utimensat", errno: errno, path: folder.path) }
            }
            if folder.fd >= 0 { close(folder.fd) }
        }
        if let failure { throw failure }
    }

    /// Opens the folder `components` for a one-off use (a hard link's target folder), walking from the
    /// root one component at a time without following symlinks; the caller closes it unless it is the root.
    private func openDetached(_ components: ArraySlice<Substring>) throws -> Int32 {
        var fd = rootFD
        var path = ""
        for component in components {
            path = path.isEmpty ? String(component) : "\(path)/\(component)"
            let next = openat(fd, String(component), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            let code = errno
            if fd != rootFD { close(fd) }
            guard next >= 0 else { throw DiskWriteFailure(call: "openat", errno: code, path: path) }
            fd = next
        }
        return fd
    }

    private func fixMode(of fd: Int32, to mode: mode_t, path: String) throws {
        guard fchmod(fd, mode) == 0 else { throw DiskWriteFailure(call: "fchmod", errno: errno, path: path) }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// A hidden folder in the sandbox that strict mode extracts an archive into, then swaps each of the
/// archive's top-level entries into the sandbox — so fetching again into the same sandbox replaces
/// `site/` whole (files only in the old version are gone), and a fetch that fails at any point leaves
/// the previous `site/` as it was.
///
/// Mesos extracts straight into the sandbox and overwrites file by file (mesos.md §1.6), leaving a mix
/// of two versions on a failed rerun; `--mesos-compat` still does that.
///
/// Layout: `<sandbox>/.sitepack-fetch-XXXXXX/new/` receives the archive's entries; `…/old/` holds the
/// previous ones while the file system cannot exchange names. An existing entry is replaced with
/// `renameat2(RENAME_EXCHANGE)` (Linux ≥ 3.15), which swaps the two names in one step whatever their
/// types; where the file system or kernel refuses it, the old entry is renamed aside and the new one
/// renamed in. Every step is an `*at` call on directory descriptors with no symlink followed: a
/// `site -> /etc` symlink in the sandbox is replaced as a name, never written through. The staging
/// folder — and with it every replaced entry — is removed when this value goes away.
struct SandboxStaging: ~Copyable {
    /// The sandbox.
    let sandbox: String
    /// The folder to extract into (`<sandbox>/.sitepack-fetch-XXXXXX/new`).
    let folder: String
    /// Whether to try `RENAME_EXCHANGE` first (tests turn it off to take the fallback).
    var exchanges = true
    /// Runs before each entry is moved into the sandbox (tests make it fail to check the rollback).
    var willPlace: (String) throws -> Void = { _ in }

    private let root: String
    private let rootName: String
    private let sandboxFD: OwnedFileDescriptor
    private let newFD: OwnedFileDescriptor
    private let oldFD: OwnedFileDescriptor

    /// How an entry got into the sandbox, so a failure can put the previous one back.
    private enum Step {
        case created, exchanged, setAside
    }

    /// Creates the staging folder in `sandbox` (an existing folder).
    init(in sandbox: String) throws {
        self.sandbox = sandbox
        let sandboxFD = try OwnedFileDescriptor(path: sandbox, flags: O_RDONLY | O_DIRECTORY)
        let root: String
        do {
            root = try FileSystem.makeTemporaryDirectory(template: "\(sandbox)/.sitepack-fetch-XXXXXX")
        } catch let error as SitepackError {
            throw SitepackError(.io, "cannot create a staging folder in the sandbox \(sandbox); check that it is writable", underlying: error)
        }
        let rootName = (root as NSString).lastPathComponent
        TemporaryFiles.shared.register(root)
        let sandboxRaw = sandboxFD.rawValue
        func abandon() {
            Self.removeTree(rootName, in: sandboxRaw)
            TemporaryFiles.shared.unregister(root)
        }
        let newFD: OwnedFileDescriptor
        do { newFD = try Self.subfolder("new", mode: 0o755, of: rootName, in: sandboxRaw, root: root) } catch {
            abandon()
            throw error
        }
        let oldFD: OwnedFileDescriptor
        do { oldFD = try Self.subfolder("old", mode: 0o700, of: rootName, in: sandboxRaw, root: root) } catch {
            abandon()
            throw error
        }
        self.root = root
        self.rootName = rootName
        self.folder = "\(root)/new"
        self.sandboxFD = sandboxFD
        self.newFD = newFD
        self.oldFD = oldFD
    }

    /// Creates and opens `<root>/<name>`, reaching the root through the sandbox without following links.
    private static func subfolder(_ name: String, mode: mode_t, of rootName: String, in sandboxFD: Int32, root: String) throws -> OwnedFileDescriptor {
        let rootFD = openat(sandboxFD, rootName, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard rootFD >= 0 else { throw failure("open", root, errno, keeping: nil) }
        defer { close(rootFD) }
        guard mkdirat(rootFD, name, mode) == 0 else { throw failure("create", "\(root)/\(name)", errno, keeping: nil) }
        let fd = openat(rootFD, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else { throw failure("open", "\(root)/\(name)", errno, keeping: nil) }
        return OwnedFileDescriptor(adopting: fd, path: "\(root)/\(name)")
    }

    deinit {
        Self.removeTree(rootName, in: sandboxFD.rawValue)
        TemporaryFiles.shared.unregister(root)
    }

    /// Moves every top-level entry of ``folder`` into the sandbox, replacing an entry of the same name
    /// there; on any failure puts back what was replaced so far and throws. Returns the names, sorted.
    /// The replaced entries are deleted with the staging folder afterwards.
    consuming func commit() throws -> [String] {
        let names = try Self.names(in: newFD.rawValue, path: folder)
        var done: [(name: String, step: Step)] = []
        do {
            for name in names {
                try willPlace(name)
                done.append((name, try place(name)))
            }
        } catch {
            for (name, step) in done.reversed() { undo(step, name) }
            throw error
        }
        return names
    }

    private func place(_ name: String) throws -> Step {
        let sandboxFD = sandboxFD.rawValue, newFD = newFD.rawValue, oldFD = oldFD.rawValue
        var status = stat()
        if fstatat(sandboxFD, name, &status, AT_SYMLINK_NOFOLLOW) != 0 {
            guard errno == ENOENT else { throw Self.failure("inspect", "\(sandbox)/\(name)", errno, keeping: nil) }
            if let renameat2 = Self.renameat2 {
                if renameat2(newFD, name, sandboxFD, name, Self.renameNoReplace) == 0 { return .created }
                guard Self.unsupported(errno) else { throw Self.failure("move in", "\(sandbox)/\(name)", errno, keeping: nil) }
            }
            guard renameat(newFD, name, sandboxFD, name) == 0 else {
                throw Self.failure("move in", "\(sandbox)/\(name)", errno, keeping: nil)
            }
            return .created
        }
        if exchanges, let renameat2 = Self.renameat2 {
            if renameat2(newFD, name, sandboxFD, name, Self.renameExchange) == 0 { return .exchanged }
            guard Self.unsupported(errno) else { throw Self.failure("replace", "\(sandbox)/\(name)", errno, keeping: name) }
        }
        guard renameat(sandboxFD, name, oldFD, name) == 0 else {
            throw Self.failure("set aside", "\(sandbox)/\(name)", errno, keeping: name)
        }
        guard renameat(newFD, name, sandboxFD, name) == 0 else {
            let code = errno
            _ = renameat(oldFD, name, sandboxFD, name)
            throw Self.failure("replace", "\(sandbox)/\(name)", code, keeping: name)
        }
        return .setAside
    }

    /// Best effort: the error being reported matters more than one that happens while undoing.
    private func undo(_ step: Step, _ name: String) {
        let sandboxFD = sandboxFD.rawValue, newFD = newFD.rawValue, oldFD = oldFD.rawValue
        switch step {
        case .created:
            _ = renameat(sandboxFD, name, newFD, name)
        case .exchanged:
            _ = Self.renameat2?(sandboxFD, name, newFD, name, Self.renameExchange)
        case .setAside:
            if renameat(sandboxFD, name, newFD, name) == 0 { _ = renameat(oldFD, name, sandboxFD, name) }
        }
    }

    private static func failure(_ action: String, _ path: String, _ code: Int32, keeping name: String?) -> SitepackError {
        let kept = name.map { "; the previous \($0) was kept and nothing was replaced" } ?? "; nothing in the sandbox was replaced"
        let call = ["create": "mkdirat", "open": "openat", "inspect": "fstatat"][action] ?? "renameat"
        return SitepackError(.io, "cannot \(action) \(path): \(String(cString: strerror(code)))\(kept). Check the sandbox's permissions and free space",
                             underlying: SystemCallError(call, errno: code))
    }

    /// The entries of an open folder, sorted, without `.` and `..`.
    private static func names(in fd: Int32, path: String) throws -> [String] {
        let copy = dup(fd)
        guard copy >= 0, let directory = fdopendir(copy) else {
            let code = errno
            if copy >= 0 { close(copy) }
            throw SitepackError(.io, "cannot list \(path): \(String(cString: strerror(code)))", underlying: SystemCallError("fdopendir", errno: code))
        }
        defer { closedir(directory) }
        rewinddir(directory)
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { bytes in
                String(decoding: bytes.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }

    /// Removes `name` in the folder open as `parent`, and everything below it, never following a symlink.
    static func removeTree(_ name: String, in parent: Int32) {
        if unlinkat(parent, name, 0) == 0 || errno == ENOENT { return }
        let fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else { return }
        defer { close(fd) }
        for child in (try? names(in: fd, path: name)) ?? [] { removeTree(child, in: fd) }
        _ = unlinkat(parent, name, AT_REMOVEDIR)
    }

    // MARK: renameat2

    /// `renameat2(2)`'s flags (linux/fs.h), which Glibc's Swift module does not export.
    private static let renameNoReplace: UInt32 = 1 << 0
    private static let renameExchange: UInt32 = 1 << 1

    private typealias RenameAt2 = @convention(c) (Int32, UnsafePointer<CChar>?, Int32, UnsafePointer<CChar>?, UInt32) -> Int32

    /// glibc's `renameat2` (2.28+), looked up at run time because it is declared only under
    /// `_GNU_SOURCE`; nil where the C library lacks it (then plain `renameat` is used).
    private static let renameat2: RenameAt2? = {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "renameat2") else { return nil }
        return unsafeBitCast(symbol, to: RenameAt2.self)
    }()

    /// The kernel or the file system does not support the flag (then fall back to two renames).
    private static func unsupported(_ code: Int32) -> Bool {
        code == EINVAL || code == ENOSYS || code == EOPNOTSUPP
    }
}

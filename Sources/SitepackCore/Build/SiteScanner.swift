#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// Walks a site folder with `lstat` and applies the archive contract: what is kept, excluded or refused.
///
/// Folders are listed on `threads` threads (a queue of folders, each listed whole by one thread);
/// the result does not depend on it: entries are sorted afterwards, and when several paths fail the
/// error reported is the one a single-threaded depth-first walk meets first.
public struct SiteScanner: Sendable {
    private let root: String
    private let prefix: String
    private let rules: IgnoreRules
    private let outputDirectory: String?
    private let followSymlinks: Bool
    private let allowUnicode: Bool
    private let threads: Int

    /// Prepares a scan of `root`; `outputDirectory` (absolute) is excluded if it lies inside.
    public init(root: String, prefix: String, rules: IgnoreRules, outputDirectory: String?, followSymlinks: Bool,
                allowUnicode: Bool, threads: Int = 1) {
        self.root = root
        self.prefix = prefix
        self.rules = rules
        self.outputDirectory = outputDirectory
        self.followSymlinks = followSymlinks
        self.allowUnicode = allowUnicode
        self.threads = max(1, threads)
    }

    /// One folder to list: its real path, its path below the site root, the folders above it (a
    /// symlink loop comes back to one of them) and its place in a depth-first walk (the index of each
    /// folder on the way down in its parent's listing).
    private struct Folder: Sendable {
        var path: String
        var relative: String
        var ancestors: Set<FileIdentity>
        var order: [Int32]
    }

    /// What one thread found.
    private struct Findings {
        var entries: SiteEntries
        var excluded: [Manifest.Exclusion] = []
        var newestMtime: Int64 = 0
        /// The first failure in walk order, and where it stands in that order.
        var failure: (order: [Int32], error: any Error)?

        mutating func fail(_ error: any Error, at order: [Int32]) {
            if let failure, !order.lexicographicallyPrecedes(failure.order) { return }
            failure = (order, error)
        }
    }

    /// Walks the folder; throws an error naming the first path that cannot be packed.
    public func scan() throws -> SiteScan {
        guard let resolved = realpath(root, nil) else {
            throw SitepackError(.siteMissing, "site folder \(root) does not exist: give the path of the folder holding index.html")
        }
        let realRoot = String(cString: resolved)
        free(resolved)
        var info = stat()
        guard stat(realRoot, &info) == 0, info.st_mode & S_IFMT == S_IFDIR else {
            throw SitepackError(.siteMissing, "\(root) is not a folder: give the path of the site's folder")
        }
        var found = Findings(entries: SiteEntries(sourceRoot: realRoot, prefix: prefix))
        found.newestMtime = info.st_mtim.wholeSeconds
        try found.entries.append(archivePath: prefix, relativeSource: nil, kind: .directory, mode: 0o755, mtime: info.st_mtim.wholeSeconds)
        let top = Folder(path: realRoot, relative: "", ancestors: [FileIdentity(info)], order: [])
        for part in walk(from: top) {
            try found.entries.append(contentsOf: part.entries)
            found.excluded += part.excluded
            found.newestMtime = max(found.newestMtime, part.newestMtime)
            if let failure = part.failure { found.fail(failure.error, at: failure.order) }
        }
        if let failure = found.failure { throw failure.error }
        var entries = found.entries
        guard entries.count > 1 else {
            throw SitepackError(.siteMissing, "site folder \(root) has nothing to pack (it is empty, or every file is excluded): add the site's files or check .sitepackignore and --exclude")
        }
        if let clash = entries.sortByArchivePath() {
            throw SitepackError(.unpackable, "\(clash.1) has the same name as \(clash.0) once Unicode-normalised (NFC): rename one of them")
        }
        let excluded = found.excluded.sorted { $0.path.utf8.lexicographicallyPrecedes($1.path.utf8) }
        return SiteScan(entries: entries, excluded: excluded, newestMtime: found.newestMtime)
    }

    /// Lists `top` and every folder below it, on ``threads`` threads; one ``Findings`` a thread.
    private func walk(from top: Folder) -> [Findings] {
        let realRoot = top.path
        if threads == 1 {
            var found = Findings(entries: SiteEntries(sourceRoot: realRoot, prefix: prefix))
            var stack = [top]
            while let folder = stack.popLast() { stack += list(folder, into: &found).reversed() }
            return [found]
        }
        let queue = FolderQueue(top)
        let workers = WorkerThreads()
        let results = ScanResults()
        for _ in 0..<threads {
            workers.start { [self] in
                var found = Findings(entries: SiteEntries(sourceRoot: realRoot, prefix: prefix))
                while let folder = queue.next(workers.condition) {
                    let below = list(folder, into: &found)
                    queue.finished(folder: below, workers.condition)
                }
                results.add(found, workers.condition)
            }
        }
        workers.condition.lock()
        workers.waitUntilAllReturned()
        workers.condition.unlock()
        return results.all
    }

    private struct FileIdentity: Hashable {
        let device: UInt64
        let inode: UInt64
        init(_ info: stat) {
            device = UInt64(info.st_dev)
            inode = UInt64(info.st_ino)
        }
    }

    /// Adds the entries of one folder to `found` and returns its subfolders to list, in listing order.
    private func list(_ folder: Folder, into found: inout Findings) -> [Folder] {
        let directory = folder.path
        guard let handle = opendir(directory) else {
            let code = errno
            found.fail(SitepackError(.unpackable, "cannot read folder \(directory): \(String(cString: strerror(code))); fix its permissions or exclude it", underlying: SystemCallError("opendir", errno: code)), at: folder.order)
            return []
        }
        defer { closedir(handle) }
        var names: [String] = []
        while let item = readdir(handle) {
            let name = withUnsafeBytes(of: item.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        let descriptor = dirfd(handle)
        var below: [Folder] = []
        for (number, name) in names.enumerated() {
            do {
                if var subfolder = try add(name, in: folder, descriptor: descriptor, into: &found) {
                    subfolder.order = folder.order + [Int32(number)]
                    below.append(subfolder)
                }
            } catch {
                found.fail(error, at: folder.order + [Int32(number)])
                return below
            }
        }
        return below
    }

    /// Adds one name of a folder; answers the folder to list when it is one.
    private func add(_ name: String, in folder: Folder, descriptor: Int32, into found: inout Findings) throws -> Folder? {
        let directory = folder.path
        let source = directory + "/" + name
        let relativePath = folder.relative.isEmpty ? name : folder.relative + "/" + name
        var info = stat()
        // Relative to the open folder: no walk of the whole path for each of thousands of files.
        guard fstatat(descriptor, name, &info, AT_SYMLINK_NOFOLLOW) == 0 else {
            let code = errno
            throw SitepackError(.unpackable, "cannot read \(source): \(String(cString: strerror(code)))", underlying: SystemCallError("lstat", errno: code))
        }
        var type = info.st_mode & S_IFMT
        if let outputDirectory, type == S_IFDIR, source == outputDirectory {
            found.excluded.append(.init(path: relativePath, reason: "output-folder"))
            return nil
        }
        if let reason = rules.exclusion(for: relativePath, isDirectory: type == S_IFDIR) {
            found.excluded.append(.init(path: relativePath, reason: reason))
            return nil
        }
        let (archiveName, normalised) = try archiveName(for: relativePath, source: source)
        var linkTarget: String?
        if type == S_IFLNK {
            let target = try readLink(source)
            if followSymlinks {
                var targetInfo = stat()
                guard stat(source, &targetInfo) == 0 else {
                    throw SitepackError(.unpackable, "symlink \(source) points to \(target), which does not exist: remove the link or fix its target")
                }
                info = targetInfo
                type = info.st_mode & S_IFMT
            } else {
                let resolved = try checkLinkStaysInside(source: source, target: target, realRoot: found.entries.sourceRoot)
                linkTarget = Self.normalisedTarget(target, linkFolder: directory, resolved: resolved)
            }
        }
        let mtime = info.st_mtim.wholeSeconds
        let relativeSource = normalised ? relativePath : nil
        found.newestMtime = max(found.newestMtime, mtime)
        switch type {
        case S_IFDIR:
            let identity = FileIdentity(info)
            guard !folder.ancestors.contains(identity) else {
                throw SitepackError(.unpackable, "\(source) leads back into one of its own parent folders (a symlink loop): remove the link or build without --follow-symlinks")
            }
            try found.entries.append(archivePath: archiveName, relativeSource: relativeSource, kind: .directory, mode: 0o755, mtime: mtime)
            return Folder(path: source, relative: relativePath, ancestors: folder.ancestors.union([identity]), order: [])
        case S_IFREG:
            // Readability is checked when the file is read (SiteBuilder), with the same message.
            let mode: UInt32 = info.st_mode & 0o111 != 0 ? 0o755 : 0o644
            try found.entries.append(archivePath: archiveName, relativeSource: relativeSource, kind: .file(size: Int64(info.st_size)), mode: mode, mtime: mtime)
        case S_IFLNK:
            try found.entries.append(archivePath: archiveName, relativeSource: relativeSource, kind: .symlink(target: linkTarget ?? ""), mode: 0o777, mtime: mtime)
        default:
            let what = type == S_IFIFO ? "a FIFO" : type == S_IFSOCK ? "a socket" : "a device file"
            throw SitepackError(.unpackable, "\(source) is \(what); a site may only hold files, folders and symlinks: remove it or exclude it with --exclude")
        }
        return nil
    }

    /// The entry's name in the archive, refusing non-ASCII names unless allowed (then NFC), and whether
    /// NFC changed it (then the source's own name is kept beside it). Two names equal once normalised
    /// are found after sorting.
    private func archiveName(for relativePath: String, source: String) throws -> (String, Bool) {
        var name = relativePath
        if !relativePath.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7f }) {
            guard allowUnicode, relativePath.utf8.allSatisfy({ $0 >= 0x20 && $0 != 0x7f }) else {
                throw SitepackError(.unpackable, "\(source) has a non-ASCII or control character in its name; the Mesos fetcher fails on such names (MESOS-9393): rename it, or pass --allow-unicode to keep it")
            }
            name = relativePath.precomposedStringWithCanonicalMapping
        }
        return (prefix + "/" + name, !name.utf8.elementsEqual(relativePath.utf8))
    }

    private func readLink(_ path: String) throws -> String {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let count = readlink(path, &buffer, buffer.count - 1)
        guard count >= 0 else {
            let code = errno
            throw SitepackError(.unpackable, "cannot read symlink \(path): \(String(cString: strerror(code)))")
        }
        return String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// A kept symlink's target as `verify` and strict `fetch` accept it: unchanged when it is already
    /// plain (no empty or `.` parts, `..` only at the start), else the shortest relative path from the
    /// link's (real) folder to what it resolves to, e.g. `sub/../x.html` → `x.html`.
    static func normalisedTarget(_ target: String, linkFolder: String, resolved: String) -> String {
        let parts = target.split(separator: "/", omittingEmptySubsequences: false)
        var sawName = false
        var plain = true
        for part in parts {
            if part.isEmpty || part == "." || (part == ".." && sawName) { plain = false; break }
            if part != ".." { sawName = true }
        }
        if plain { return target }
        let from = linkFolder.split(separator: "/")
        let to = resolved.split(separator: "/")
        var common = 0
        while common < from.count, common < to.count, from[common] == to[common] { common += 1 }
        let path = Array(repeating: "..", count: from.count - common) + to[common...].map(String.init)
        return path.isEmpty ? "." : path.joined(separator: "/")
    }

    /// A kept symlink must be relative and resolve (through any chain) to something inside the site;
    /// returns the real path it resolves to.
    private func checkLinkStaysInside(source: String, target: String, realRoot: String) throws -> String {
        if target.hasPrefix("/") {
            throw SitepackError(.symlinkEscape, "symlink \(source) has an absolute target (\(target)): make it relative to a file inside the site, or pass --follow-symlinks to store the target's content")
        }
        guard let resolved = realpath(source, nil) else {
            throw SitepackError(.unpackable, "symlink \(source) points to \(target), which does not exist: remove the link or fix its target")
        }
        let real = String(cString: resolved)
        free(resolved)
        guard real == realRoot || real.hasPrefix(realRoot + "/") else {
            throw SitepackError(.symlinkEscape, "symlink \(source) points outside the site (to \(real)): replace it with a copy, or pass --follow-symlinks to store the target's content")
        }
        return real
    }
}

extension SiteScanner {
    /// The folders still to list, shared by the scan's threads under the workers' condition.
    private final class FolderQueue: @unchecked Sendable {
        private var waiting: [Folder]
        private var busy = 0

        init(_ top: Folder) { waiting = [top] }

        /// The next folder to list; nil once none waits and none is being listed (the walk is over).
        func next(_ condition: NSCondition) -> Folder? {
            condition.lock()
            defer { condition.unlock() }
            while waiting.isEmpty && busy > 0 { condition.wait() }
            guard let folder = waiting.popLast() else { return nil }
            busy += 1
            return folder
        }

        /// Queues the subfolders a thread found in the folder it listed.
        func finished(folder below: [Folder], _ condition: NSCondition) {
            condition.lock()
            waiting += below.reversed()
            busy -= 1
            condition.broadcast()
            condition.unlock()
        }
    }

    /// Each thread's findings, collected under the workers' condition.
    private final class ScanResults: @unchecked Sendable {
        private(set) var all: [Findings] = []

        func add(_ found: Findings, _ condition: NSCondition) {
            condition.lock()
            all.append(found)
            condition.unlock()
        }
    }
}

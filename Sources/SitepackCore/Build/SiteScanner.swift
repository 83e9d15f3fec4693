#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// Walks a site folder with `lstat` and applies the archive contract: what is kept, excluded or refused.
public struct SiteScanner {
    private let root: String
    private let prefix: String
    private let rules: IgnoreRules
    private let outputDirectory: String?
    private let followSymlinks: Bool
    private let allowUnicode: Bool
    private var realRoot = ""
    private var entries = SiteEntries(sourceRoot: "", prefix: "")
    private var excluded: [Manifest.Exclusion] = []
    private var newestMtime: Int64 = 0

    /// Prepares a scan of `root`; `outputDirectory` (absolute) is excluded if it lies inside.
    public init(root: String, prefix: String, rules: IgnoreRules, outputDirectory: String?, followSymlinks: Bool, allowUnicode: Bool) {
        self.root = root
        self.prefix = prefix
        self.rules = rules
        self.outputDirectory = outputDirectory
        self.followSymlinks = followSymlinks
        self.allowUnicode = allowUnicode
    }

    /// Walks the folder; throws an error naming the first path that cannot be packed.
    public mutating func scan() throws -> SiteScan {
        guard let resolved = realpath(root, nil) else {
            throw SitepackError(.siteMissing, "site folder \(root) does not exist: give the path of the folder holding index.html")
        }
        realRoot = String(cString: resolved)
        free(resolved)
        var info = stat()
        guard stat(realRoot, &info) == 0, info.st_mode & S_IFMT == S_IFDIR else {
            throw SitepackError(.siteMissing, "\(root) is not a folder: give the path of the site's folder")
        }
        entries = SiteEntries(sourceRoot: realRoot, prefix: prefix)
        try add(archivePath: prefix, relativeSource: nil, kind: .directory, mode: 0o755, mtime: info.st_mtim.wholeSeconds)
        var ancestors: Set<FileIdentity> = [FileIdentity(info)]
        try walk(directory: realRoot, relative: "", ancestors: &ancestors)
        guard entries.count > 1 else {
            throw SitepackError(.siteMissing, "site folder \(root) has nothing to pack (it is empty, or every file is excluded): add the site's files or check .sitepackignore and --exclude")
        }
        if let clash = entries.sortByArchivePath() {
            throw SitepackError(.unpackable, "\(clash.1) has the same name as \(clash.0) once Unicode-normalised (NFC): rename one of them")
        }
        excluded.sort { $0.path.utf8.lexicographicallyPrecedes($1.path.utf8) }
        return SiteScan(entries: entries, excluded: excluded, newestMtime: newestMtime)
    }

    private mutating func add(archivePath: String, relativeSource: String?, kind: TarEntryKind, mode: UInt32, mtime: Int64) throws {
        newestMtime = max(newestMtime, mtime)
        try entries.append(archivePath: archivePath, relativeSource: relativeSource, kind: kind, mode: mode, mtime: mtime)
    }

    private struct FileIdentity: Hashable {
        let device: UInt64
        let inode: UInt64
        init(_ info: stat) {
            device = UInt64(info.st_dev)
            inode = UInt64(info.st_ino)
        }
    }

    private mutating func walk(directory: String, relative: String, ancestors: inout Set<FileIdentity>) throws {
        guard let handle = opendir(directory) else {
            let code = errno
            throw SitepackError(.unpackable, "cannot read folder \(directory): \(String(cString: strerror(code))); fix its permissions or exclude it", underlying: SystemCallError("opendir", errno: code))
        }
        defer { closedir(handle) }
        var names: [String] = []
        while let item = readdir(handle) {
            let name = withUnsafeBytes(of: item.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        let folder = dirfd(handle)

        for name in names {
            let source = directory + "/" + name
            let relativePath = relative.isEmpty ? name : relative + "/" + name
            var info = stat()
            // Relative to the open folder: no walk of the whole path for each of thousands of files.
            guard fstatat(folder, name, &info, AT_SYMLINK_NOFOLLOW) == 0 else {
                let code = errno
                throw SitepackError(.unpackable, "cannot read \(source): \(String(cString: strerror(code)))", underlying: SystemCallError("lstat", errno: code))
            }
            var type = info.st_mode & S_IFMT
            if let outputDirectory, type == S_IFDIR, source == outputDirectory {
                excluded.append(.init(path: relativePath, reason: "output-folder"))
                continue
            }
            if let reason = rules.exclusion(for: relativePath, isDirectory: type == S_IFDIR) {
                excluded.append(.init(path: relativePath, reason: reason))
                continue
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
                    let resolved = try checkLinkStaysInside(source: source, target: target)
                    linkTarget = Self.normalisedTarget(target, linkFolder: directory, resolved: resolved)
                }
            }
            let mtime = info.st_mtim.wholeSeconds
            switch type {
            case S_IFDIR:
                let identity = FileIdentity(info)
                guard !ancestors.contains(identity) else {
                    throw SitepackError(.unpackable, "\(source) leads back into one of its own parent folders (a symlink loop): remove the link or build without --follow-symlinks")
                }
                try add(archivePath: archiveName, relativeSource: normalised ? relativePath : nil, kind: .directory, mode: 0o755, mtime: mtime)
                ancestors.insert(identity)
                try walk(directory: source, relative: relativePath, ancestors: &ancestors)
                ancestors.remove(identity)
            case S_IFREG:
                // Readability is checked when the file is read (SiteBuilder), with the same message.
                let mode: UInt32 = info.st_mode & 0o111 != 0 ? 0o755 : 0o644
                try add(archivePath: archiveName, relativeSource: normalised ? relativePath : nil, kind: .file(size: Int64(info.st_size)), mode: mode, mtime: mtime)
            case S_IFLNK:
                try add(archivePath: archiveName, relativeSource: normalised ? relativePath : nil, kind: .symlink(target: linkTarget ?? ""), mode: 0o777, mtime: mtime)
            default:
                let what = type == S_IFIFO ? "a FIFO" : type == S_IFSOCK ? "a socket" : "a device file"
                throw SitepackError(.unpackable, "\(source) is \(what); a site may only hold files, folders and symlinks: remove it or exclude it with --exclude")
            }
        }
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
    private func checkLinkStaysInside(source: String, target: String) throws -> String {
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

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// A folder that keeps every version of every site at its immutable address:
/// `<root>/sites/<name>/<sha256>/{content.tar.gz, content.tar.gz.sha256, manifest.json}`.
///
/// Versions are only ever added whole (a staging folder renamed into place) and removed whole (renamed
/// aside, then deleted), so a reader such as `serve` sees a version complete or not at all. The newest
/// version of a site is the one whose folder was most recently added; `<root>/content.tar.gz`,
/// `.sha256` and `manifest.json` are hard links to the newest version a build added, for people and
/// scripts that expect a build's output at the top.
public struct ArtifactStore: Sendable {
    /// Absolute path of the store.
    public let root: String

    /// Prefix of staging folders (a version being written) and of versions being removed; hidden, so
    /// `serve` and listings skip them.
    static let stagingPrefix = ".tmp-"
    static let removingPrefix = ".gc-"

    /// A store at `root` (made absolute; created on first write).
    public init(root: String) {
        self.root = URL(fileURLWithPath: root, relativeTo: URL(fileURLWithPath: FileManager.default.currentDirectoryPath))
            .standardizedFileURL.path
    }

    // MARK: - Reading

    /// Every site name with at least one version, sorted.
    public func siteNames() -> [String] {
        FileSystem.names(in: ArtifactAddress.sitesFolder(in: root))
            .filter { SiteName.isValid($0) && FileSystem.isDirectory(ArtifactAddress.siteFolder(name: $0, in: root)) }
            .sorted()
    }

    /// The complete versions of a site, newest first (ties by digest, so the order is stable).
    public func versions(of name: String) -> [StoredVersion] {
        let siteFolder = ArtifactAddress.siteFolder(name: name, in: root)
        var versions: [StoredVersion] = []
        for entry in FileSystem.names(in: siteFolder) {
            guard let address = try? ArtifactAddress(name: name, sha256: entry), address.sha256 == entry else { continue }
            let folder = siteFolder + "/" + entry
            guard let info = FileSystem.status(folder), info.st_mode & S_IFMT == S_IFDIR else { continue }
            var bytes: Int64 = 0
            var complete = true
            for file in ArtifactAddress.files {
                guard let fileInfo = FileSystem.status(folder + "/" + file), fileInfo.st_mode & S_IFMT == S_IFREG else {
                    complete = false
                    break
                }
                bytes += Int64(fileInfo.st_size)
            }
            guard complete else { continue }
            versions.append(StoredVersion(address: address, folder: folder, addedNanoseconds: FileSystem.modifiedNanoseconds(info), bytes: bytes))
        }
        return versions.sorted {
            $0.addedNanoseconds != $1.addedNanoseconds ? $0.addedNanoseconds > $1.addedNanoseconds : $0.address.sha256 < $1.address.sha256
        }
    }

    /// The newest version of a site, if any.
    public func newest(of name: String) -> StoredVersion? { versions(of: name).first }

    // MARK: - Adding

    /// What ``add(name:write:)`` did.
    public struct Addition: Sendable {
        /// The version now newest for its site.
        public var version: StoredVersion
        /// True when the store already held these exact bytes: nothing was written, the existing
        /// version was only made the newest again.
        public var unchanged: Bool
    }

    /// Adds a version: `write` fills a fresh staging folder with the three files and returns their
    /// address; the folder is then renamed to `sites/<name>/<sha256>` (or dropped when that version is
    /// already stored), made the newest, and linked from the top. A failure or interruption leaves the
    /// store as it was, with no staging folder.
    public func add(name: String, write: (String) throws -> ArtifactAddress) throws -> Addition {
        let siteFolder = ArtifactAddress.siteFolder(name: name, in: root)
        let sitesFolder = ArtifactAddress.sitesFolder(in: root)
        try checkWritable()
        let createdFolders = [sitesFolder, siteFolder].filter { FileSystem.status($0) == nil }
        try FileSystem.makeDirectories(siteFolder)
        for folder in createdFolders { TemporaryFiles.shared.register(folder) }
        // Held while it is filled, so a sweep of leftovers (serve starting, gc) leaves it alone.
        let (hold, staging) = try HeldTemporary.makeDirectory(template: siteFolder + "/" + Self.stagingPrefix + "XXXXXX")
        TemporaryFiles.shared.register(staging)
        var added = false
        defer {
            try? FileSystem.removeTree(staging)
            close(hold)
            TemporaryFiles.shared.unregister(staging)
            for folder in createdFolders { TemporaryFiles.shared.unregister(folder) }
            // A failed first build leaves the folder as it found it, not with empty sites/<name>/.
            if !added { for folder in createdFolders.reversed() { rmdir(folder) } }
        }
        chmod(staging, 0o755)
        let address = try write(staging)
        guard address.name == name else {
            throw SitepackError(.io, "the build in \(staging) names site \(address.name), not \(name)")
        }
        let folder = address.versionFolder(in: root)
        var unchanged = false
        if isComplete(folder, like: staging) {
            unchanged = true
        } else {
            if FileSystem.status(folder) != nil {
                // A damaged or partial folder under this digest (edited by hand): move it aside first.
                try remove(folder: folder, name: name)
            }
            try FileSystem.rename(staging, to: folder)
            FileSystem.syncDirectory(siteFolder)
        }
        added = true
        try makeNewest(folder, name: name)
        try linkTop(to: folder)
        guard let version = versions(of: name).first(where: { $0.address == address }) else {
            throw SitepackError(.io, "version \(address) vanished from \(folder) while it was being added; is another process pruning \(root)?")
        }
        return Addition(version: version, unchanged: unchanged)
    }

    /// Whether `folder` already holds the same three files as `staging` (same sizes, same manifest and checksum bytes).
    private func isComplete(_ folder: String, like staging: String) -> Bool {
        for file in ArtifactAddress.files {
            guard let existing = FileSystem.status(folder + "/" + file), existing.st_mode & S_IFMT == S_IFREG,
                  let fresh = FileSystem.status(staging + "/" + file), existing.st_size == fresh.st_size else { return false }
            if file != ArtifactAddress.archiveFile {
                // The archive's name is its digest; the others are compared byte for byte.
                guard Self.sameBytes(folder + "/" + file, staging + "/" + file) else { return false }
            }
        }
        return true
    }

    /// Marks a version folder as the most recently added of its site: its mtime becomes now, or just
    /// after the newest other version's when the clock has not moved on (file times tick in jiffies, so
    /// two quick adds could otherwise tie).
    func makeNewest(_ folder: String, name: String) throws {
        let others = versions(of: name).filter { $0.folder != folder }.map(\.addedNanoseconds).max() ?? .min
        try FileSystem.setModified(folder, nanoseconds: max(FileSystem.nowNanoseconds(), others &+ 1))
    }

    /// Points `<root>/content.tar.gz`, `.sha256` and `manifest.json` at a version: each is a hard link
    /// (a copy where the file system refuses links) made under a temporary name and renamed over the old
    /// one, so each top-level file is always one complete version.
    func linkTop(to folder: String) throws {
        for file in ArtifactAddress.files {
            let source = folder + "/" + file
            let destination = root + "/" + file
            if let a = FileSystem.status(source), let b = FileSystem.status(destination), a.st_dev == b.st_dev, a.st_ino == b.st_ino {
                continue
            }
            let (fd, temporary) = try OwnedFileDescriptor.makeTemporary(template: root + "/." + file + ".tmp-XXXXXX")
            Glibc.close(fd)
            unlink(temporary)
            TemporaryFiles.shared.register(temporary)
            defer { TemporaryFiles.shared.unregister(temporary) }
            if link(source, temporary) != 0 {
                do {
                    try FileManager.default.copyItem(atPath: source, toPath: temporary)
                } catch {
                    unlink(temporary)
                    throw SitepackError(.io, "cannot link or copy \(source) to \(destination): \(error.localizedDescription)")
                }
            }
            do {
                try FileSystem.rename(temporary, to: destination)
            } catch {
                unlink(temporary)
                throw error
            }
        }
        FileSystem.syncDirectory(root)
    }

    // MARK: - Removing

    /// Removes a version folder: renamed aside (hidden) first, so readers see it whole or gone, then deleted.
    func remove(folder: String, name: String) throws {
        let siteFolder = ArtifactAddress.siteFolder(name: name, in: root)
        // Held from before the rename until removed, so a sweep of leftovers leaves a live gc's folder alone.
        let hold = HeldTemporary.hold(folder)
        defer { if hold >= 0 { close(hold) } }
        let aside = try FileSystem.makeTemporaryDirectory(template: siteFolder + "/" + Self.removingPrefix + "XXXXXX")
        try FileSystem.rename(folder, to: aside)
        FileSystem.syncDirectory(siteFolder)
        try FileSystem.removeTree(aside)
    }

    private func checkWritable() throws {
        if let info = FileSystem.status(root), info.st_mode & S_IFMT != S_IFDIR {
            throw SitepackError(.outputNotWritable, "output path \(root) exists and is not a folder: remove it or choose another with -o")
        }
        do {
            try FileSystem.makeDirectories(root)
        } catch {
            throw SitepackError(.outputNotWritable, "cannot create output folder \(root); choose a writable folder with -o", underlying: error as? SitepackError)
        }
        guard access(root, W_OK | X_OK) == 0 else {
            throw SitepackError(.outputNotWritable, "output folder \(root) is not writable: fix its permissions or choose another with -o")
        }
    }
}

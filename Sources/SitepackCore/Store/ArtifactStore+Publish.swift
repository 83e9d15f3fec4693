#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Crypto
import Foundation

/// Adding versions that were built elsewhere: copied from another store (`sitepack publish --to DIR`)
/// or received over HTTP (``StoreUpload``). Either way the three files are checked against the address
/// and added whole through ``add(name:write:)``: written into a staging folder, flushed, renamed into
/// place, made the newest of their site and linked from the top, exactly as a build adds one.
extension ArtifactStore {
    /// Whether the store holds `address` whole: its folder with the three files as regular files.
    public func holdsComplete(_ address: ArtifactAddress) -> Bool {
        let folder = address.versionFolder(in: root)
        return ArtifactAddress.files.allSatisfy { FileSystem.status(folder + "/" + $0).map { $0.st_mode & S_IFMT == S_IFREG } ?? false }
    }

    /// The store's newest version: the one a build (or publish) added last, across every site, which
    /// `DIR/content.tar.gz` links to.
    public func newestVersion() -> StoredVersion? {
        siteNames().compactMap { newest(of: $0) }.max { $0.addedNanoseconds < $1.addedNanoseconds }
    }

    /// Copies `version` of another store into this one and makes it the newest of its site. The archive
    /// is hashed while it is copied: bytes that do not match the digest its folder names are refused
    /// (``SitepackError/Code/integrity``) and nothing is added. `progress` gets each copied block's size.
    public func copyVersion(_ version: StoredVersion, progress: (Int64) -> Void = { _ in }) throws -> Addition {
        let address = version.address
        let manifestPath = version.path(ArtifactAddress.manifestFile)
        let manifest = try Manifest.load(from: manifestPath)
        guard manifest.name == address.name, manifest.archive.sha256.lowercased() == address.sha256,
              manifest.archive.file == ArtifactAddress.archiveFile else {
            throw SitepackError(.integrity, "\(manifestPath) describes \(manifest.name)@\(manifest.archive.sha256), not \(address) whose folder holds it; nothing was published. Rebuild the site or remove that version with sitepack gc")
        }
        return try add(name: address.name) { staging in
            let archive = version.path(ArtifactAddress.archiveFile)
            let digest = try Self.copy(archive, to: staging + "/" + ArtifactAddress.archiveFile, progress: progress)
            guard digest == address.sha256 else {
                throw SitepackError(.integrity, "\(archive) has sha256 \(digest), not the \(address.sha256) its folder names; nothing was published. Rebuild the site or remove that version with sitepack gc")
            }
            _ = try Self.copy(manifestPath, to: staging + "/" + ArtifactAddress.manifestFile)
            try Self.writeChecksum(address, into: staging)
            return address
        }
    }

    /// Completes a version received over HTTP: `manifestPath` (a flushed temporary file in the site's
    /// folder) must describe `address`, whose archive waits, checked, at ``StoreUpload/pendingArchive(_:in:)``.
    func completeUpload(_ address: ArtifactAddress, manifestAt manifestPath: String) throws(UploadRefusal) -> StoreUpload.Outcome {
        guard let manifest = try? Manifest.load(from: manifestPath) else {
            throw UploadRefusal(.invalid, "\(address.urlPath(ArtifactAddress.manifestFile)) is not a sitepack manifest (send the manifest.json sitepack build wrote beside the archive)")
        }
        guard manifest.name == address.name, manifest.archive.sha256.lowercased() == address.sha256,
              manifest.archive.file == ArtifactAddress.archiveFile else {
            throw UploadRefusal(.mismatch, "the manifest describes \(manifest.name)@\(manifest.archive.sha256) (\(manifest.archive.file)), not \(address); nothing was kept")
        }
        let folder = address.versionFolder(in: root)
        if holdsComplete(address) {
            guard let stored = FileManager.default.contents(atPath: folder + "/" + ArtifactAddress.manifestFile),
                  let sent = FileManager.default.contents(atPath: manifestPath), stored == sent else {
                throw UploadRefusal(.conflict, "the store already holds \(address) with another manifest.json; a published version never changes (rebuild to get a new digest)")
            }
            // Published again: it becomes the newest of its site, as an identical rebuild does.
            do {
                try makeNewest(folder, name: address.name)
                try linkTop(to: folder)
            } catch {
                throw UploadRefusal(.io, "cannot make \(address) the newest version in \(root): \(error)")
            }
            return .alreadyStored
        }
        let pending = StoreUpload.pendingArchive(address, in: self)
        guard let info = FileSystem.status(pending), info.st_mode & S_IFMT == S_IFREG else {
            throw UploadRefusal(.conflict, "no checked archive waits for this manifest: PUT \(address.urlPath()) first, then its manifest.json")
        }
        guard Int64(info.st_size) == manifest.archive.size else {
            throw UploadRefusal(.mismatch, "the manifest says the archive has \(manifest.archive.size) bytes, the one received has \(info.st_size); nothing was kept")
        }
        do {
            let addition = try add(name: address.name) { staging in
                guard link(pending, staging + "/" + ArtifactAddress.archiveFile) == 0 else {
                    let code = errno
                    throw SitepackError(.io, "cannot link \(pending) into \(staging): \(String(cString: strerror(code)))")
                }
                try Self.writeChecksum(address, into: staging)
                try FileSystem.rename(manifestPath, to: staging + "/" + ArtifactAddress.manifestFile)
                return address
            }
            unlink(pending)
            return addition.unchanged ? .alreadyStored : .published(addition.version)
        } catch {
            throw UploadRefusal(.io, "cannot add \(address) to \(root): \(error)")
        }
    }

    /// Writes `content.tar.gz.sha256` (flushed) into a staging folder.
    private static func writeChecksum(_ address: ArtifactAddress, into staging: String) throws {
        let file = try OwnedFileDescriptor(path: staging + "/" + ArtifactAddress.checksumFile, flags: O_WRONLY | O_CREAT | O_EXCL)
        try Array(address.checksumLine.utf8).withUnsafeBytes { try file.writeAll($0) }
        try file.sync()
        try file.close()
    }

    /// Copies a file (mode 0644), flushes the copy, and returns the sha256 of the bytes copied.
    private static func copy(_ source: String, to destination: String, progress: (Int64) -> Void = { _ in }) throws -> String {
        let input = try OwnedFileDescriptor(path: source, flags: O_RDONLY)
        _ = posix_fadvise(input.rawValue, 0, 0, POSIX_FADV_SEQUENTIAL)
        let output = try OwnedFileDescriptor(path: destination, flags: O_WRONLY | O_CREAT | O_EXCL, mode: 0o644)
        var hasher = SHA256()
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let count = try input.read(into: buffer)
            if count == 0 { break }
            let block = UnsafeRawBufferPointer(rebasing: buffer[0..<count])
            hasher.update(bufferPointer: block)
            try output.writeAll(block)
            progress(Int64(count))
        }
        try output.sync()
        try output.close()
        try input.close()
        return hasher.finalize().hex
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Crypto

/// One file of one version received into an ``ArtifactStore`` from elsewhere (an HTTP `PUT` to `serve`):
/// written to a hidden temporary file in the site's folder while it is hashed, then judged whole.
///
/// Nothing it writes is ever visible as part of a version before the version is complete:
/// - `content.tar.gz` is kept only when its sha256 is the one its address names; it then waits as
///   `sites/<name>/.tmp-upload-<sha256>.tar.gz` (hidden, so neither `serve` nor a listing sees it, and
///   `gc` or a restarted `serve` removes it after an hour if no manifest follows: ``StoreLeftovers``);
/// - while it is written, the temporary file is held (``HeldTemporary``), so a crash's leftover is
///   recognised and removed when `serve` starts again, and never a live upload's file;
/// - `content.tar.gz.sha256` is accepted when it is exactly the line its address names (the store
///   writes that line itself when the version is added);
/// - `manifest.json` completes the version: it must describe the waiting archive, and then the three
///   files are added together as the newest version of the site (``ArtifactStore/add(name:write:)``).
///
/// Blocking: run it off any event loop. It is used by one thread at a time (each call finishes before
/// the next starts), hence `@unchecked Sendable`.
public final class StoreUpload: @unchecked Sendable {
    /// The store receiving the file.
    public let store: ArtifactStore
    /// The version the file belongs to.
    public let address: ArtifactAddress
    /// Which of the version's ``ArtifactAddress/files`` this is.
    public let file: String
    /// Free bytes the file system must keep; writing stops with ``UploadRefusal/Kind/insufficientStorage`` below it.
    public let minimumFree: Int64
    /// Bytes received so far.
    public private(set) var bytes: Int64 = 0

    private var descriptor: Int32
    private let temporaryPath: String
    private var hasher = SHA256()
    private var small: [UInt8] = []
    private var nextSpaceCheck: Int64
    private let createdSiteFolder: Bool
    private var done = false

    /// The most bytes a `.sha256` sidecar may have (the line is 82 bytes).
    static let checksumLimit = 1024
    /// Free space is checked again after every this many bytes written.
    static let spaceCheckInterval: Int64 = 8 << 20
    /// Prefix of everything an upload leaves in a site's folder (a `.tmp-` name: gc cleans it when stale).
    static let uploadPrefix = ArtifactStore.stagingPrefix + "upload-"

    /// Starts receiving `file` of `address`: checks the free space for `expectedLength` bytes (when
    /// known) and creates the temporary file.
    public init(store: ArtifactStore, address: ArtifactAddress, file: String, expectedLength: Int64?, minimumFree: Int64) throws(UploadRefusal) {
        guard ArtifactAddress.files.contains(file) else {
            throw UploadRefusal(.invalid, "\(file) is not a file of a version (\(ArtifactAddress.files.joined(separator: ", ")))")
        }
        self.store = store
        self.address = address
        self.file = file
        self.minimumFree = minimumFree
        let siteFolder = ArtifactAddress.siteFolder(name: address.name, in: store.root)
        try Self.checkSpace(in: store.root, adding: expectedLength ?? 0, minimumFree: minimumFree)
        createdSiteFolder = FileSystem.status(siteFolder) == nil
        do {
            try FileSystem.makeDirectories(siteFolder)
            (descriptor, temporaryPath) = try HeldTemporary.makeFile(template: siteFolder + "/" + Self.uploadPrefix + "XXXXXX")
        } catch {
            throw UploadRefusal(.io, "cannot store an upload in \(siteFolder): \(error)")
        }
        fchmod(descriptor, 0o644)
        nextSpaceCheck = Self.spaceCheckInterval
    }

    deinit { abandon() }

    /// Where an archive whose digest was checked waits for its manifest.
    static func pendingArchive(_ address: ArtifactAddress, in store: ArtifactStore) -> String {
        ArtifactAddress.siteFolder(name: address.name, in: store.root) + "/" + uploadPrefix + address.sha256 + ".tar.gz"
    }

    /// Writes and hashes the next bytes of the body.
    public func append(_ chunk: UnsafeRawBufferPointer) throws(UploadRefusal) {
        bytes += Int64(chunk.count)
        if file == ArtifactAddress.checksumFile {
            guard bytes <= Self.checksumLimit else {
                throw UploadRefusal(.invalid, "\(address.urlPath(file)) must be the one line \"\(address.checksumLine.dropLast())\"")
            }
            small.append(contentsOf: chunk)
            return
        }
        hasher.update(bufferPointer: chunk)
        do {
            try OwnedFileDescriptor.writeAll(chunk, to: descriptor, path: temporaryPath)
        } catch let error as SitepackError {
            if case let underlying as SystemCallError = error.underlying, underlying.errno == ENOSPC {
                throw UploadRefusal(.insufficientStorage, "the disk holding \(store.root) is full")
            }
            throw UploadRefusal(.io, error.message)
        } catch {
            throw UploadRefusal(.io, "cannot write \(temporaryPath): \(error)")
        }
        if bytes >= nextSpaceCheck {
            nextSpaceCheck = bytes + Self.spaceCheckInterval
            try Self.checkSpace(in: store.root, adding: 0, minimumFree: minimumFree)
        }
    }

    /// What a complete upload did.
    public enum Outcome: Sendable, Equatable {
        /// The file was kept (an archive waiting for its manifest, or an accepted checksum line).
        case accepted
        /// The manifest completed the version: it is now the newest of its site.
        case published(StoredVersion)
        /// The store already held this version with these bytes; nothing changed.
        case alreadyStored
    }

    /// Judges the whole file and keeps it, or removes it and throws. Called once, after the last byte.
    public func finish() throws(UploadRefusal) -> Outcome {
        defer { abandon() }
        switch file {
        case ArtifactAddress.checksumFile:
            guard small == Array(address.checksumLine.utf8) else {
                throw UploadRefusal(.mismatch, "\(address.urlPath(file)) must be the one line \"\(address.checksumLine.dropLast())\" (sha256sum format)")
            }
            return store.holdsComplete(address) ? .alreadyStored : .accepted
        case ArtifactAddress.archiveFile:
            let digest = hasher.finalize().hex
            guard digest == address.sha256 else {
                throw UploadRefusal(.mismatch, "the \(bytes) bytes received have sha256 \(digest), not the \(address.sha256) their URL names; nothing was kept")
            }
            if store.holdsComplete(address) { return .alreadyStored }
            try flush()
            do {
                // Renamed while still held, so no sweep can take it between the close and the rename.
                try FileSystem.rename(temporaryPath, to: Self.pendingArchive(address, in: store))
            } catch {
                throw UploadRefusal(.io, "\(error)")
            }
            done = true
            return .accepted
        default:
            try flush()
            return try store.completeUpload(address, manifestAt: temporaryPath)
        }
    }

    /// Removes the temporary file (and the site folder this upload created, if still empty). Idempotent.
    public func abandon() {
        if descriptor >= 0 {
            close(descriptor)
            descriptor = -1
        }
        guard !done else { return }
        done = true
        unlink(temporaryPath)
        if createdSiteFolder { rmdir(ArtifactAddress.siteFolder(name: address.name, in: store.root)) }
    }

    /// Flushes the file to disk; the descriptor (and the hold on the file) stays open until ``abandon()``.
    private func flush() throws(UploadRefusal) {
        if fsync(descriptor) != 0 {
            let code = errno
            throw UploadRefusal(code == ENOSPC ? .insufficientStorage : .io, "cannot flush \(temporaryPath) to disk: \(String(cString: strerror(code)))")
        }
    }

    /// Refuses when the file system holding `root` would keep less than `minimumFree` bytes after `adding` more.
    static func checkSpace(in root: String, adding: Int64, minimumFree: Int64) throws(UploadRefusal) {
        guard minimumFree > 0 || adding > 0 else { return }
        var info = statvfs()
        guard statvfs(root, &info) == 0 else { return }
        let free = Int64(info.f_bavail) * Int64(info.f_frsize)
        guard free - adding >= minimumFree else {
            throw UploadRefusal(.insufficientStorage, "\(root) has \(ByteCount.format(free)) free; storing \(ByteCount.format(adding)) more would leave less than the \(ByteCount.format(minimumFree)) the server keeps free (--min-free): free space or prune versions with sitepack gc")
        }
    }
}

/// Why an upload was refused: a kind the server maps to an HTTP status, and a message for the client.
public struct UploadRefusal: Error, Sendable, CustomStringConvertible {
    /// The kinds of refusal.
    public enum Kind: Sendable, Equatable {
        /// The bytes are not what the address names (wrong digest, wrong checksum line, a manifest of another version).
        case mismatch
        /// Not a usable file (not a manifest, not one of a version's files).
        case invalid
        /// The body is larger than the server takes (`--max-upload`).
        case tooLarge
        /// Something must come first (the archive before its manifest), or the store holds other bytes.
        case conflict
        /// The disk would drop below the free space the server keeps.
        case insufficientStorage
        /// A file-system failure on the server.
        case io
    }

    /// What kind of refusal.
    public var kind: Kind
    /// What happened and what to do.
    public var message: String

    /// A refusal.
    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }
}

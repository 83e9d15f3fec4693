public import Foundation
import Crypto
public import Logging
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// One artifact found by its `manifest.json`, verified against the bytes on disk.
public struct Artifact: Sendable, Equatable {
    /// The site name from the manifest (a URL segment).
    public var name: String
    /// SHA-256 of `content.tar.gz`, computed from the file (and equal to the manifest's).
    public var sha256: String
    /// Size of `content.tar.gz` in bytes.
    public var size: Int64
    /// Absolute path of `content.tar.gz`.
    public var archivePath: String
    /// Absolute path of `manifest.json`.
    public var manifestPath: String
    /// Absolute path of the `.sha256` sidecar if the build wrote one.
    public var checksumPath: String?
    /// The archive file's identity when it was hashed; a different identity means the digest is stale.
    public var identity: FileIdentity

    /// The immutable URL path: `/sites/<name>/<sha256>/content.tar.gz`.
    public var urlPath: String { "/sites/\(name)/\(sha256)/content.tar.gz" }
    /// The folder URL path `/sites/<name>/<sha256>/`.
    public var folderPath: String { "/sites/\(name)/\(sha256)/" }
    /// The text of `content.tar.gz.sha256` in `sha256sum` format.
    public var checksumLine: String { "\(sha256)  content.tar.gz\n" }
}

/// The artifacts under the served folder, found by their `manifest.json` files: a build's output folder
/// (`dist/`) or a store laid out as `sites/<name>/<sha256>/`.
///
/// Scans are cheap after the first: each archive is hashed once per file identity. A scan runs at start
/// and again, at most once a second, when a `/sites` URL is asked for.
public final class ArtifactCatalog: Sendable {
    /// The real path of the served folder.
    public let root: String
    private let logger: Logger
    private let state = Mutex(State())

    /// What a scan needs from a manifest, kept per path and identity so rescans only `stat` unchanged ones.
    private struct ManifestSummary: Sendable {
        var identity: FileIdentity
        var name: String
        var file: String
        var sha256: String
        var size: Int64
    }

    private struct State: Sendable {
        var artifacts: [Artifact] = []
        var lastScan: ContinuousClock.Instant?
        var digests: [FileIdentity: String] = [:]
        var manifests: [String: ManifestSummary] = [:]
        var warned: Set<String> = []
    }

    /// A catalog over `root` (already resolved with `realpath`); call ``refresh(force:)`` to scan.
    public init(root: String, logger: Logger) {
        self.root = root
        self.logger = logger
    }

    /// Every artifact, sorted by name then newest first.
    public var artifacts: [Artifact] { state.withLock { $0.artifacts } }

    /// The artifact named `name` with digest `sha256`.
    /// Looks in the last scan first, so hot artifact URLs cost no directory walk; a miss rescans (at most once a second).
    public func artifact(name: String, sha256: String) -> Artifact? {
        let digest = sha256.lowercased()
        func lookup() -> Artifact? { state.withLock { $0.artifacts.first { $0.name == name && $0.sha256 == digest } } }
        if let hit = lookup() { return hit }
        // Just published into the store? Then do not wait out the one-second throttle.
        let storeManifest = "\(root)/sites/\(name)/\(digest)/\(Manifest.fileName)"
        let published = SiteName.isValid(name) && ArtifactAddress.isSHA256Hex(digest) && FileIdentity.ofLink(path: storeManifest)?.isRegularFile == true
        refresh(minimumInterval: published ? .zero : .seconds(1))
        return lookup()
    }

    /// The newest artifact of `name` (by archive modification time).
    public func latest(name: String) -> Artifact? {
        refresh()
        return state.withLock { $0.artifacts.first { $0.name == name } }
    }

    /// Rescans when the last scan is older than `minimumInterval` (or always with `force`).
    public func refresh(force: Bool = false, minimumInterval: Duration = .seconds(1)) {
        let now = ContinuousClock.now
        let due = state.withLock { state -> Bool in
            if !force, let last = state.lastScan, now - last < minimumInterval { return false }
            state.lastScan = now
            return true
        }
        guard due else { return }
        let (known, knownManifests) = state.withLock { ($0.digests, $0.manifests) }
        var digests: [FileIdentity: String] = [:]
        var summaries: [String: ManifestSummary] = [:]
        var found: [Artifact] = []
        var manifests: [String] = []
        collectManifests(in: root, depth: 0, into: &manifests)
        for manifestPath in manifests {
            guard let manifestIdentity = FileIdentity.ofLink(path: manifestPath) else { continue }
            var summary = knownManifests[manifestPath]
            if summary?.identity != manifestIdentity {
                summary = loadSummary(manifestPath: manifestPath, identity: manifestIdentity)
            }
            guard let summary else { continue }
            summaries[manifestPath] = summary
            if let artifact = loadArtifact(manifestPath: manifestPath, summary: summary, known: known, digests: &digests) {
                found.append(artifact)
            }
        }
        found.sort { a, b in
            if a.name != b.name { return a.name < b.name }
            if a.identity.modifiedNanoseconds != b.identity.modifiedNanoseconds {
                return a.identity.modifiedNanoseconds > b.identity.modifiedNanoseconds
            }
            return a.sha256 < b.sha256
        }
        // The same archive can be reachable twice (dist/ and a store); keep one entry per name and digest.
        var seen = Set<String>()
        found = found.filter { seen.insert("\($0.name)/\($0.sha256)").inserted }
        state.withLock {
            $0.artifacts = found
            $0.digests = digests
            $0.manifests = summaries
        }
    }

    private func warnOnce(_ key: String, _ message: String) {
        let first = state.withLock { $0.warned.insert(key).inserted }
        if first { logger.warning("\(message)") }
    }

    private func collectManifests(in folder: String, depth: Int, into result: inout [String]) {
        guard depth <= 4, result.count < 10_000 else { return }
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return }
        for name in names.sorted() where !name.hasPrefix(".") {
            let path = folder + "/" + name
            guard let identity = FileIdentity.ofLink(path: path) else { continue }
            if identity.isDirectory {
                collectManifests(in: path, depth: depth + 1, into: &result)
            } else if identity.isRegularFile, name == Manifest.fileName {
                result.append(path)
            }
        }
    }

    private func loadSummary(manifestPath: String, identity: FileIdentity) -> ManifestSummary? {
        guard let manifest = try? Manifest.load(from: manifestPath) else {
            warnOnce(manifestPath, "skipping \(manifestPath): not a sitepack manifest")
            return nil
        }
        return ManifestSummary(identity: identity, name: manifest.name, file: manifest.archive.file,
                               sha256: manifest.archive.sha256.lowercased(), size: manifest.archive.size)
    }

    private func loadArtifact(manifestPath: String, summary: ManifestSummary, known: [FileIdentity: String],
                              digests: inout [FileIdentity: String]) -> Artifact? {
        let folder = String(manifestPath.dropLast(Manifest.fileName.count + 1))
        let file = summary.file
        guard SiteName.isValid(summary.name), SiteName.isValid(file), file.hasSuffix(".tar.gz") else {
            warnOnce(manifestPath, "skipping \(manifestPath): name \(summary.name) or file \(file) cannot appear in a URL")
            return nil
        }
        let archivePath = folder + "/" + file
        guard let identity = FileIdentity.ofLink(path: archivePath), identity.isRegularFile else {
            warnOnce(manifestPath + "#missing", "skipping \(manifestPath): \(archivePath) is missing or not a regular file")
            return nil
        }
        let digest: String
        if let cached = known[identity] ?? digests[identity] {
            digest = cached
        } else {
            guard let computed = Self.sha256(of: archivePath) else { return nil }
            digest = computed
        }
        digests[identity] = digest
        guard digest == summary.sha256, identity.size == summary.size else {
            warnOnce(manifestPath + "#\(digest)", "skipping \(archivePath): its sha256 \(digest) (\(identity.size) bytes) does not match \(manifestPath); rebuild it")
            return nil
        }
        // In a store (sites/<name>/<sha256>/) the folder name must agree with the content.
        let parts = folder.split(separator: "/")
        if parts.count >= 3, parts[parts.count - 3] == "sites", ArtifactAddress.isSHA256Hex(String(parts[parts.count - 1])),
           parts[parts.count - 1].lowercased() != digest {
            warnOnce(manifestPath + "#folder", "skipping \(archivePath): it lives in folder \(parts[parts.count - 1]) but its sha256 is \(digest)")
            return nil
        }
        let checksumPath = archivePath + ".sha256"
        let hasChecksum = FileIdentity.ofLink(path: checksumPath)?.isRegularFile ?? false
        return Artifact(name: summary.name, sha256: digest, size: identity.size, archivePath: archivePath,
                        manifestPath: manifestPath, checksumPath: hasChecksum ? checksumPath : nil, identity: identity)
    }

    /// SHA-256 of a file in hex, or nil if it cannot be read.
    static func sha256(of path: String) -> String? {
        guard let file = try? OwnedFileDescriptor(path: path, flags: O_RDONLY) else { return nil }
        var hasher = SHA256()
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            guard let count = try? file.read(into: buffer) else { return nil }
            if count == 0 { break }
            hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
        }
        return hasher.finalize().hex
    }
}

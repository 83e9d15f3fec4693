import Foundation
import Logging
#if canImport(Glibc)
import Glibc
#endif

/// The blocking half of ``ArtifactCatalog``: walks the served folder for `manifest.json` files and
/// verifies each artifact against its bytes. It runs only on the catalog's scanner thread, one scan at
/// a time, never on an event loop.
///
/// Rescans are cheap after the first: a manifest is parsed again only when its file changed, and an
/// archive is hashed once per content identity (device, inode, size, mtime), so a rescan of an unchanged
/// store is a directory walk and a `stat` per file.
struct CatalogScanner {
    /// The real path of the served folder.
    let root: String
    let logger: Logger
    /// Called with an archive's path just before it is hashed; tests hold a scan there.
    let beforeHashing: (@Sendable (String) -> Void)?

    /// The most manifests one scan looks at.
    static let manifestLimit = 100_000

    /// What a scan needs from a manifest, kept per path and identity so rescans only `stat` unchanged ones.
    private struct ManifestSummary {
        var identity: FileIdentity
        var name: String
        var file: String
        var sha256: String
        var size: Int64
    }

    private var digests: [FileIdentity.Content: String] = [:]
    /// Every folder the current scan walked, with its identity taken before its entries were read.
    private var walked: [String: FileIdentity] = [:]
    private var summaries: [String: ManifestSummary] = [:]
    private var warned: Set<String> = []

    init(root: String, logger: Logger, beforeHashing: (@Sendable (String) -> Void)?) {
        self.root = root
        self.logger = logger
        self.beforeHashing = beforeHashing
    }

    /// Takes digests computed elsewhere (by file identity) as if this scanner had hashed those files.
    mutating func adopt(_ verified: [FileIdentity.Content: String]) {
        digests.merge(verified) { _, new in new }
    }

    /// One full scan; nil when `shouldStop` said so midway (the server is shutting down).
    mutating func scan(shouldStop: () -> Bool) -> CatalogSnapshot? {
        var manifests: [String] = []
        walked = [:]
        collectManifests(in: root, depth: 0, into: &manifests)
        if manifests.count >= Self.manifestLimit {
            warnOnce("#limit", "\(root) holds more than \(Self.manifestLimit) manifest.json files; only the first \(Self.manifestLimit) (by path) are served. Prune old versions with sitepack gc")
        }
        var found: [Artifact] = []
        var refused: [String: FileIdentity] = [:]
        var seenDigests: [FileIdentity.Content: String] = [:]
        var seenSummaries: [String: ManifestSummary] = [:]
        for manifestPath in manifests {
            if shouldStop() { return nil }
            guard let manifestIdentity = FileIdentity.ofLink(path: manifestPath), manifestIdentity.isRegularFile else { continue }
            let store = storeAddress(of: manifestPath)
            var summary = summaries[manifestPath]
            if summary.map({ !$0.identity.hasSameContent(as: manifestIdentity) }) ?? true {
                summary = loadSummary(manifestPath: manifestPath, identity: manifestIdentity)
            }
            guard let summary else {
                if store != nil { refused[manifestPath] = manifestIdentity }
                continue
            }
            seenSummaries[manifestPath] = summary
            let artifact = verify(manifestPath: manifestPath, manifestIdentity: manifestIdentity, summary: summary, store: store,
                                  seenDigests: &seenDigests, shouldStop: shouldStop)
            if let artifact {
                found.append(artifact)
            } else if shouldStop() {
                return nil
            } else if store != nil {
                refused[manifestPath] = manifestIdentity
            }
        }
        digests = seenDigests
        summaries = seenSummaries
        return CatalogSnapshot(artifacts: found, refused: refused, folderIdentities: walked, root: root)
    }

    /// `(name, sha256)` from the path when the manifest is a version of the served store,
    /// `<root>/sites/<name>/<sha256>/manifest.json`; nil for a manifest anywhere else.
    private func storeAddress(of manifestPath: String) -> (name: String, sha256: String)? {
        let prefix = ArtifactAddress.sitesFolder(in: root) + "/"
        guard manifestPath.hasPrefix(prefix) else { return nil }
        let parts = manifestPath.dropFirst(prefix.count).split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[2] == ArtifactAddress.manifestFile, SiteName.isValid(String(parts[0])),
              ArtifactAddress.isSHA256Hex(String(parts[1])) else { return nil }
        return (String(parts[0]), String(parts[1]))
    }

    private mutating func verify(manifestPath: String, manifestIdentity: FileIdentity, summary: ManifestSummary,
                                 store: (name: String, sha256: String)?, seenDigests: inout [FileIdentity.Content: String],
                                 shouldStop: () -> Bool) -> Artifact? {
        let folder = String(manifestPath.dropLast(ArtifactAddress.manifestFile.count + 1))
        let file = summary.file
        guard SiteName.isValid(summary.name), SiteName.isValid(file), file.hasSuffix(".tar.gz"),
              ArtifactAddress.isSHA256Hex(summary.sha256) else {
            warnOnce(manifestPath, "skipping \(manifestPath): its name \"\(summary.name)\", file \"\(file)\" or sha256 cannot appear in a URL; rebuild it with sitepack build")
            return nil
        }
        // In the store, the folder names the version: it must agree with the manifest before any byte is hashed.
        if let store {
            guard store.name == summary.name, store.sha256 == summary.sha256, file == ArtifactAddress.archiveFile else {
                warnOnce(manifestPath + "#folder", "skipping \(folder): its manifest describes \(summary.name)@\(summary.sha256) (\(file)), not the version its folder names; move it to sites/\(summary.name)/\(summary.sha256)/ or rebuild it")
                return nil
            }
        }
        let archivePath = folder + "/" + file
        guard let identity = FileIdentity.ofLink(path: archivePath), identity.isRegularFile else {
            warnOnce(manifestPath + "#missing", "skipping \(manifestPath): \(archivePath) is missing or not a regular file; rebuild it")
            return nil
        }
        guard identity.size == summary.size else {
            warnOnce(manifestPath + "#size\(identity.size)", "skipping \(archivePath): it has \(identity.size) bytes but \(manifestPath) says \(summary.size); rebuild it")
            return nil
        }
        let digest: String
        if let cached = seenDigests[identity.content] ?? digests[identity.content] {
            digest = cached
        } else {
            beforeHashing?(archivePath)
            guard let computed = Self.sha256(of: archivePath, shouldStop: shouldStop) else { return nil }
            digest = computed
        }
        seenDigests[identity.content] = digest
        guard digest == summary.sha256 else {
            warnOnce(manifestPath + "#\(digest)", "skipping \(archivePath): its sha256 \(digest) does not match \(manifestPath) (\(summary.sha256)); rebuild it")
            return nil
        }
        let orderKey: Int64
        if store != nil {
            // The version folder's mtime is what build sets when it adds (or re-adds) the version.
            guard let folderIdentity = FileIdentity.ofLink(path: folder), folderIdentity.isDirectory else { return nil }
            orderKey = folderIdentity.modifiedNanoseconds
        } else {
            orderKey = identity.modifiedNanoseconds
        }
        guard let address = try? ArtifactAddress(name: summary.name, sha256: digest) else { return nil }
        let checksumPath = archivePath + ".sha256"
        let hasChecksum = FileIdentity.ofLink(path: checksumPath)?.isRegularFile ?? false
        return Artifact(address: address, size: identity.size, archivePath: archivePath, manifestPath: manifestPath,
                        checksumPath: hasChecksum ? checksumPath : nil, identity: identity, manifestIdentity: manifestIdentity,
                        orderKey: orderKey, isStoreVersion: store != nil)
    }

    private mutating func warnOnce(_ key: String, _ message: String) {
        if warned.insert(key).inserted { logger.warning("\(message)") }
    }

    /// Every `manifest.json` under `folder`, in path order, skipping hidden entries (a build's
    /// `sites/<name>/.tmp-*` and gc's `sites/<name>/.gc-*` folders among them).
    private mutating func collectManifests(in folder: String, depth: Int, into result: inout [String]) {
        guard depth <= 4, result.count < Self.manifestLimit else { return }
        if let identity = FileIdentity.ofLink(path: folder) { walked[folder] = identity }
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return }
        for name in names.sorted() where !name.hasPrefix(".") {
            let path = folder + "/" + name
            guard let identity = FileIdentity.ofLink(path: path) else { continue }
            if identity.isDirectory {
                collectManifests(in: path, depth: depth + 1, into: &result)
            } else if identity.isRegularFile, name == ArtifactAddress.manifestFile {
                result.append(path)
            }
        }
    }

    private mutating func loadSummary(manifestPath: String, identity: FileIdentity) -> ManifestSummary? {
        guard let manifest = try? Manifest.load(from: manifestPath) else {
            warnOnce(manifestPath + "#\(identity.modifiedNanoseconds)", "skipping \(manifestPath): not a sitepack manifest; rebuild it with sitepack build")
            return nil
        }
        return ManifestSummary(identity: identity, name: manifest.name, file: manifest.archive.file,
                               sha256: manifest.archive.sha256.lowercased(), size: manifest.archive.size)
    }

    /// SHA-256 of a file in hex, or nil if it cannot be read (or `shouldStop` says so between chunks).
    static func sha256(of path: String, shouldStop: () -> Bool = { false }) -> String? {
        (try? FileDigest.sha256(ofFile: path, until: shouldStop)) ?? nil
    }
}

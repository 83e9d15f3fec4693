#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What an interrupted build, upload or gc leaves in a store's site folders, and the one rule for
/// cleaning it (used by `sitepack gc` and by `serve` when it starts):
/// - a `.tmp-*` entry being written (a build's staging folder, an upload's temporary file) is held
///   by its writer (``HeldTemporary``): removed as soon as no live process holds it;
/// - an uploaded archive whose digest was checked and which waits for its manifest
///   (`.tmp-upload-<sha256>.tar.gz`) is whole and held by nobody between requests: it is kept for
///   ``pendingAge`` so a publisher can finish, then removed;
/// - a `.gc-*` folder (a version renamed aside for removal) is removed unless a live gc holds it.
///
/// None of these is ever served or listed: they are dot-entries, and a version exists only as a
/// complete `sites/<name>/<sha256>/` folder.
public enum StoreLeftovers {
    /// How long an accepted archive waits for its manifest before it counts as a leftover.
    public static let pendingAge: Duration = .seconds(3600)

    /// Removes the leftovers in one site folder (only reports them with `dryRun`); returns their paths.
    public static func clean(siteFolder: String, nowNanoseconds: Int64, dryRun: Bool = false) throws -> [String] {
        var cleaned: [String] = []
        let (seconds, _) = pendingAge.components
        for entry in FileSystem.names(in: siteFolder) {
            guard entry.hasPrefix(ArtifactStore.stagingPrefix) || entry.hasPrefix(ArtifactStore.removingPrefix) else { continue }
            let path = siteFolder + "/" + entry
            if isPendingArchive(entry) {
                guard let info = FileSystem.status(path), nowNanoseconds - FileSystem.modifiedNanoseconds(info) > seconds * 1_000_000_000 else { continue }
                if !dryRun { try FileSystem.removeTree(path) }
                cleaned.append(path)
            } else if dryRun {
                if !HeldTemporary.isHeld(path) { cleaned.append(path) }
            } else if try HeldTemporary.removeIfAbandoned(path) {
                cleaned.append(path)
            }
        }
        return cleaned
    }

    /// Cleans every site folder of `store`; failures (a read-only store) are returned, not thrown,
    /// since a server starting on a store it may not write must still start.
    public static func cleanAll(_ store: ArtifactStore, nowNanoseconds: Int64) -> (cleaned: [String], failures: [String]) {
        var cleaned: [String] = []
        var failures: [String] = []
        for name in store.siteNames() {
            let folder = ArtifactAddress.siteFolder(name: name, in: store.root)
            do {
                cleaned += try clean(siteFolder: folder, nowNanoseconds: nowNanoseconds)
            } catch {
                failures.append("\(error)")
            }
        }
        return (cleaned, failures)
    }

    /// Whether a site-folder entry is an accepted archive waiting for its manifest.
    static func isPendingArchive(_ entry: String) -> Bool {
        guard entry.hasPrefix(StoreUpload.uploadPrefix), entry.hasSuffix(".tar.gz") else { return false }
        let digest = entry.dropFirst(StoreUpload.uploadPrefix.count).dropLast(".tar.gz".count)
        return ArtifactAddress.isSHA256Hex(String(digest))
    }
}

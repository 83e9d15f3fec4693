#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
public import Foundation

/// Prunes old versions from an ``ArtifactStore`` (`sitepack gc`): per site, versions beyond the
/// `keep` newest and/or added longer ago than `olderThan`; never a site's newest version, never a
/// pinned one. Each version is renamed aside and then deleted, so a running `serve` sees it whole or
/// gone: downloads already in flight finish from their open file, new requests get 404.
public struct StoreCollector: Sendable {
    /// Which versions may go.
    public struct Policy: Sendable {
        /// Keep this many newest versions of each site (at least 1 is always kept).
        public var keep: Int?
        /// Only remove versions added longer ago than this.
        public var olderThan: Duration?
        /// Versions never removed.
        public var pins: Set<ArtifactAddress>
        /// The policy when neither `keep` nor `olderThan` is given.
        public static let defaultKeep = 5

        /// A policy; with neither `keep` nor `olderThan`, keeps the ``defaultKeep`` newest.
        public init(keep: Int? = nil, olderThan: Duration? = nil, pins: Set<ArtifactAddress> = []) {
            self.keep = keep == nil && olderThan == nil ? Self.defaultKeep : keep
            self.olderThan = olderThan
            self.pins = pins
        }
    }

    /// What a collection removed (or, in a dry run, would remove).
    public struct Report: Sendable {
        /// The versions removed, by site then newest first.
        public var removed: [StoredVersion] = []
        /// How many versions remain.
        public var kept = 0
        /// Staging or half-removed folders left by an interrupted build or gc, cleaned up.
        public var leftovers: [String] = []
        /// Whether nothing was actually removed.
        public var dryRun = false

        /// Bytes freed by the removed versions.
        public var freedBytes: Int64 { removed.reduce(0) { $0 + $1.bytes } }
    }

    /// The store to prune.
    public let store: ArtifactStore
    /// What to remove.
    public let policy: Policy
    /// A collector for `store` under `policy`.
    public init(store: ArtifactStore, policy: Policy) {
        self.store = store
        self.policy = policy
    }

    /// Removes what the policy allows (nothing with `dryRun`), reporting as it goes through `removed`.
    public func collect(dryRun: Bool = false, now: Date = Date(), removed: (StoredVersion) -> Void = { _ in }) throws -> Report {
        guard FileSystem.isDirectory(store.root) else {
            throw SitepackError(.invalidInput, "\(store.root) is not a folder: pass the output folder of sitepack build (a store with sites/<name>/<sha256>/)")
        }
        if let keep = policy.keep, keep < 1 {
            throw SitepackError(.invalidInput, "--keep \(keep): must be at least 1 (a site's newest version is never removed)")
        }
        let names = store.siteNames()
        let nowNanoseconds = Int64(now.timeIntervalSince1970 * 1_000_000_000)
        var report = Report(dryRun: dryRun)
        for name in names {
            let versions = store.versions(of: name)
            for (index, version) in versions.enumerated() {
                if shouldRemove(version, index: index, now: nowNanoseconds) {
                    if !dryRun { try store.remove(folder: version.folder, name: name) }
                    report.removed.append(version)
                    removed(version)
                } else {
                    report.kept += 1
                }
            }
            report.leftovers += try StoreLeftovers.clean(siteFolder: ArtifactAddress.siteFolder(name: name, in: store.root), nowNanoseconds: nowNanoseconds, dryRun: dryRun)
        }
        return report
    }

    private func shouldRemove(_ version: StoredVersion, index: Int, now: Int64) -> Bool {
        if index == 0 || policy.pins.contains(version.address) { return false }
        if let keep = policy.keep, index < keep { return false }
        if let olderThan = policy.olderThan {
            let (seconds, attoseconds) = olderThan.components
            let age = seconds * 1_000_000_000 + attoseconds / 1_000_000_000
            if now - version.addedNanoseconds <= age { return false }
        }
        return true
    }
}

/// What one catalog scan found: every verified artifact, ordered for lookups, and the store versions it
/// refused. Request handling only ever reads a snapshot; scans build a new one off the event loops and
/// swap it in whole, so a half-verified version is never visible.
struct CatalogSnapshot: Sendable {
    /// Every artifact, one per address, sorted by name, then newest first (greatest ``Artifact/orderKey``),
    /// then by digest.
    let artifacts: [Artifact]
    /// Store manifests (`<root>/sites/<name>/<sha256>/manifest.json`) the scan refused (bad digest, wrong
    /// folder, unreadable), with the manifest's identity then: a request for such a version is answered
    /// `404` at once instead of waiting for yet another scan, until the manifest changes.
    let refused: [String: FileIdentity]
    private let indexByAddress: [ArtifactAddress: Int]
    private let firstIndexByName: [String: Int]
    /// The folders whose entries change when one of these artifacts is added or removed (its site's
    /// `sites/<name>/`, or a plain build's own folder), with their identity before the scan read them.
    let folders: [(path: String, identity: FileIdentity)]
    /// `/sites` rendered for this state (set once the server knows its origin; see ``SitesListing``).
    var listing: SitesListing?

    /// The empty catalog, before the first scan.
    static let empty = CatalogSnapshot(artifacts: [], refused: [:])

    /// Orders `artifacts` and keeps one per address: the store version when the same name and digest are
    /// reachable twice (the store folder and the top-level `DIR/content.tar.gz` links), else the newest.
    init(artifacts: [Artifact], refused: [String: FileIdentity], folderIdentities: [String: FileIdentity] = [:], root: String = "") {
        var best: [ArtifactAddress: Artifact] = [:]
        for artifact in artifacts {
            if let other = best[artifact.address], !Self.isPreferred(artifact, over: other) { continue }
            best[artifact.address] = artifact
        }
        let sorted = best.values.sorted { a, b in
            if a.name != b.name { return a.name < b.name }
            if a.orderKey != b.orderKey { return a.orderKey > b.orderKey }
            return a.sha256 < b.sha256
        }
        var indexByAddress: [ArtifactAddress: Int] = [:]
        var firstIndexByName: [String: Int] = [:]
        for (index, artifact) in sorted.enumerated() {
            indexByAddress[artifact.address] = index
            if firstIndexByName[artifact.name] == nil { firstIndexByName[artifact.name] = index }
        }
        self.artifacts = sorted
        self.refused = refused
        self.indexByAddress = indexByAddress
        self.firstIndexByName = firstIndexByName
        var folders: [(path: String, identity: FileIdentity)] = []
        var seen = Set<String>()
        var complete = true
        for artifact in sorted {
            let folder = artifact.isStoreVersion ? ArtifactAddress.siteFolder(name: artifact.name, in: root)
                : String(artifact.archivePath[..<(artifact.archivePath.lastIndex(of: "/") ?? artifact.archivePath.startIndex)])
            guard seen.insert(folder).inserted else { continue }
            guard let identity = folderIdentities[folder] else {
                complete = false
                continue
            }
            folders.append((folder, identity))
        }
        // Without every folder's identity a rendering could not be checked: none is made.
        self.folders = complete ? folders : []
        self.isCheckable = complete
    }

    /// Whether ``folders`` covers every artifact, so a rendered listing can be checked against the disk.
    let isCheckable: Bool

    /// This state with `/sites` rendered for `origin` (on the scanner thread, or before serving).
    func rendered(origin: String) -> CatalogSnapshot {
        var copy = self
        copy.listing = isCheckable ? SitesListing(artifacts, folders: folders, origin: origin) : nil
        return copy
    }

    private static func isPreferred(_ candidate: Artifact, over current: Artifact) -> Bool {
        if candidate.isStoreVersion != current.isStoreVersion { return candidate.isStoreVersion }
        if candidate.orderKey != current.orderKey { return candidate.orderKey > current.orderKey }
        return candidate.archivePath < current.archivePath
    }

    /// The artifact at `address`, if the scan verified it.
    func artifact(at address: ArtifactAddress) -> Artifact? {
        indexByAddress[address].map { artifacts[$0] }
    }

    /// Every version of `name`, newest first.
    func versions(of name: String) -> ArraySlice<Artifact> {
        guard let first = firstIndexByName[name] else { return [] }
        var end = first
        while end < artifacts.count, artifacts[end].name == name { end += 1 }
        return artifacts[first..<end]
    }
}

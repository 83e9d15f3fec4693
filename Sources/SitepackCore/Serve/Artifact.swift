/// One artifact found by its `manifest.json`, verified against the bytes on disk.
public struct Artifact: Sendable, Equatable {
    /// Where it is served: its site name and the SHA-256 of `content.tar.gz`, computed from the file
    /// (and equal to the manifest's). Every URL of the artifact comes from here.
    public var address: ArtifactAddress
    /// Size of `content.tar.gz` in bytes.
    public var size: Int64
    /// Absolute path of `content.tar.gz`.
    public var archivePath: String
    /// Absolute path of `manifest.json`.
    public var manifestPath: String
    /// Absolute path of the `.sha256` sidecar if the build wrote one.
    public var checksumPath: String?
    /// The archive file's identity when it was hashed; different content means the digest is stale.
    public var identity: FileIdentity
    /// The manifest file's identity when it was read.
    public var manifestIdentity: FileIdentity
    /// What "newest" compares, in nanoseconds: for a version in the served store
    /// (`<root>/sites/<name>/<sha256>/`) its folder's mtime, which `sitepack build` sets when it adds
    /// the version (or re-adds it in an identical rebuild); for an artifact anywhere else, the archive's mtime.
    public var orderKey: Int64
    /// Whether it is a version of the served store (`<root>/sites/<name>/<sha256>/`), not a plain build folder.
    public var isStoreVersion: Bool

    /// The site name.
    public var name: String { address.name }
    /// SHA-256 of `content.tar.gz`, lower-case hex.
    public var sha256: String { address.sha256 }
    /// The immutable URL path of the archive.
    public var urlPath: String { address.urlPath() }
    /// The version's folder URL path.
    public var folderPath: String { address.folderPath }
    /// The text of `content.tar.gz.sha256` in `sha256sum` format.
    public var checksumLine: String { address.checksumLine }

    /// Whether the archive on disk is still the file that was hashed (one `lstat`): false once `gc`
    /// renamed its version folder aside or removed it, or the file was replaced.
    var isStillOnDisk: Bool {
        guard let now = FileIdentity.ofLink(path: archivePath) else { return false }
        return now.isRegularFile && now.hasSameContent(as: identity)
    }
}

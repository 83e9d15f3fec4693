/// One version kept in an ``ArtifactStore``: the folder `sites/<name>/<sha256>/` and when it was
/// (last) made the newest of its site.
public struct StoredVersion: Sendable, Equatable {
    /// The version's name and digest.
    public var address: ArtifactAddress
    /// Absolute path of the version folder.
    public var folder: String
    /// When a build last added this version (the folder's mtime), in nanoseconds since 1970.
    /// The greatest value of a site is its newest version, the one `latest` and `DIR/content.tar.gz` name.
    public var addedNanoseconds: Int64
    /// Bytes held by the version's files.
    public var bytes: Int64

    /// Absolute path of one of the version's files.
    public func path(_ file: String = ArtifactAddress.archiveFile) -> String { folder + "/" + file }
}

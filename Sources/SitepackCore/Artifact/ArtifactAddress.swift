/// Where one artifact version lives, spelled once: `/sites/<name>/<sha256>/content.tar.gz` (with
/// `content.tar.gz.sha256` and `manifest.json` beside it) as a URL path, and the same
/// `sites/<name>/<sha256>/` below a store's root on disk. The URL never changes for the same bytes,
/// so a Mesos agent may cache it (`cache: true`); `/sites/<name>/latest/…` is the one mutable alias,
/// and it is only ever a redirect.
public struct ArtifactAddress: Sendable, Hashable, CustomStringConvertible {
    /// The site name (valid by ``SiteName``).
    public let name: String
    /// SHA-256 of `content.tar.gz`, 64 lower-case hex digits.
    public let sha256: String

    /// The archive's file name.
    public static let archiveFile = "content.tar.gz"
    /// The `sha256sum`-format checksum beside the archive.
    public static let checksumFile = "content.tar.gz.sha256"
    /// The manifest beside the archive.
    public static let manifestFile = "manifest.json"
    /// The three files of a version, in the order a reader should see them replaced.
    public static let files = [archiveFile, checksumFile, manifestFile]
    /// The first path segment of every artifact URL and the store's top folder.
    public static let sitesSegment = "sites"
    /// The mutable alias segment in place of a digest.
    public static let latestSegment = "latest"

    /// An address from a valid name and a hex digest (either case; stored lower-case).
    public init(name: String, sha256: String) throws {
        guard SiteName.isValid(name) else {
            throw SitepackError(.invalidInput, "\"\(name)\" is not a valid site name: letters, digits, '.', '_' or '-', not starting with '.'")
        }
        guard Self.isSHA256Hex(sha256) else {
            throw SitepackError(.invalidInput, "\"\(sha256)\" is not a sha256 digest: expected 64 hex digits")
        }
        self.name = name
        self.sha256 = sha256.lowercased()
    }

    /// `NAME@SHA256`, the form `gc --pin` takes.
    public init(parsingPin text: String) throws {
        guard let at = text.lastIndex(of: "@") else {
            throw SitepackError(.invalidInput, "\"\(text)\" is not NAME@SHA256")
        }
        try self.init(name: String(text[..<at]), sha256: String(text[text.index(after: at)...]))
    }

    /// `NAME@SHA256`.
    public var description: String { "\(name)@\(sha256)" }

    // MARK: - URLs

    /// `/sites/<name>/<sha256>/`.
    public var folderPath: String { "/\(Self.sitesSegment)/\(name)/\(sha256)/" }

    /// The immutable URL path of one of the version's files (the archive by default).
    public func urlPath(_ file: String = archiveFile) -> String { folderPath + file }

    /// `/sites/<name>/latest/<file>`: the redirect to the newest version.
    public static func latestPath(name: String, file: String = archiveFile) -> String {
        "/\(sitesSegment)/\(name)/\(latestSegment)/\(file)"
    }

    /// The text of `content.tar.gz.sha256`, as `sha256sum` writes it.
    public var checksumLine: String { Self.checksumLine(sha256: sha256) }

    /// The text of `content.tar.gz.sha256` for a digest.
    public static func checksumLine(sha256: String) -> String { "\(sha256)  \(archiveFile)\n" }

    /// What an artifact URL path asks for.
    public enum Target: Sendable, Equatable {
        /// One file of one immutable version.
        case version(ArtifactAddress, file: String)
        /// One file of the newest version of a site (answered with a redirect).
        case latest(name: String, file: String)
    }

    /// Reads `sites/<name>/<sha256 | latest>/<file>` from a request's decoded path segments; nil for
    /// any other shape, an invalid name, or a file that is not one of ``files``.
    public static func target(segments: [String]) -> Target? {
        guard segments.count == 4, segments[0] == sitesSegment, files.contains(segments[3]),
              SiteName.isValid(segments[1]) else { return nil }
        if segments[2] == latestSegment { return .latest(name: segments[1], file: segments[3]) }
        guard let address = try? ArtifactAddress(name: segments[1], sha256: segments[2]) else { return nil }
        return .version(address, file: segments[3])
    }

    /// Reads a content address from any URL path ending in `/sites/<name>/<sha256>/content.tar.gz`
    /// (any prefix before `/sites`, lower-case digest only, as sitepack writes it).
    public static func parse(urlPath path: String) -> ArtifactAddress? {
        let parts = path.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard parts.count >= 5, parts[parts.count - 1] == archiveFile, parts[parts.count - 4] == sitesSegment,
              parts[parts.count - 2] == parts[parts.count - 2].lowercased() else { return nil }
        return try? ArtifactAddress(name: parts[parts.count - 3], sha256: parts[parts.count - 2])
    }

    // MARK: - Store folders

    /// `<root>/sites`.
    public static func sitesFolder(in root: String) -> String { "\(root)/\(sitesSegment)" }

    /// `<root>/sites/<name>`: every version of one site.
    public static func siteFolder(name: String, in root: String) -> String { "\(sitesFolder(in: root))/\(name)" }

    /// `<root>/sites/<name>/<sha256>`: this version's folder.
    public func versionFolder(in root: String) -> String { "\(Self.siteFolder(name: name, in: root))/\(sha256)" }

    /// Whether text is a SHA-256 digest in hex (64 hex digits, either case).
    public static func isSHA256Hex(_ text: String) -> Bool {
        text.utf8.count == 64 && text.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) || (65...70).contains($0) }
    }
}

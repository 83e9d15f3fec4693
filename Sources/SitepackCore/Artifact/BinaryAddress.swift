/// Where `sitepack serve` offers the sitepack binary, spelled once: `/bin/<sha256>/sitepack`, the
/// SHA-256 of the exact bytes served.
///
/// Like an artifact's URL it never changes for the same bytes, so the `sitepack` task runtime fetches
/// it with `cache: true` (the Mesos fetcher cache never refreshes a URI, mesos.md §1.7), and two agents
/// of one deploy run the same binary even when `serve` is upgraded midway: the new binary has a new
/// URL. `/bin/sitepack` is the mutable alias for people, and it is only ever a redirect to this one.
public struct BinaryAddress: Sendable, Hashable, CustomStringConvertible {
    /// SHA-256 of the binary, 64 lower-case hex digits.
    public let sha256: String

    /// The first path segment of the binary's URLs.
    public static let binSegment = "bin"
    /// The file name, which is also the name the fetcher gives the download (`./sitepack` in the sandbox).
    public static let fileName = "sitepack"
    /// `/bin/sitepack`: the mutable alias, a redirect to the content-addressed URL; never in a TaskInfo.
    public static let aliasPath = "/\(binSegment)/\(fileName)"

    /// An address from a hex digest (either case; stored lower-case).
    public init(sha256: String) throws {
        guard ArtifactAddress.isSHA256Hex(sha256) else {
            throw SitepackError(.invalidInput, "\"\(sha256)\" is not a sha256 digest: expected 64 hex digits")
        }
        self.sha256 = sha256.lowercased()
    }

    /// `/bin/<sha256>/sitepack`.
    public var urlPath: String { "/\(Self.binSegment)/\(sha256)/\(Self.fileName)" }

    /// The binary's URL on an artifact server: `<origin>/bin/<sha256>/sitepack`.
    public func url(origin: String) -> String { origin + urlPath }

    /// `/bin/<sha256>/sitepack`.
    public var description: String { urlPath }

    /// The digest segment of a request for `bin/<64 hex>/sitepack` (decoded path segments), as written;
    /// nil for any other shape. The server answers only the digest it serves, and `404` for the rest.
    public static func requestedDigest(segments: [String]) -> String? {
        guard segments.count == 3, segments[0] == binSegment, segments[2] == fileName,
              ArtifactAddress.isSHA256Hex(segments[1]) else { return nil }
        return segments[1]
    }

    /// Reads a content address from any URL path ending in `/bin/<sha256>/sitepack` (any prefix before
    /// `/bin`, lower-case digest only, as `serve` writes it).
    public static func parse(urlPath path: String) -> BinaryAddress? {
        let parts = path.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard parts.count >= 4, parts[parts.count - 1] == fileName, parts[parts.count - 3] == binSegment,
              parts[parts.count - 2] == parts[parts.count - 2].lowercased() else { return nil }
        return try? BinaryAddress(sha256: parts[parts.count - 2])
    }
}

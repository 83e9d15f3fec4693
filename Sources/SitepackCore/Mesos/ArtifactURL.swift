import Foundation

/// The artifact URL a task fetches, checked for what `task` needs of it: an http(s) URL the fetcher
/// accepts, that it would extract (the naming and suffix rules are ``MesosURI``'s), and whether it is
/// an immutable content-addressed URL (`…/sites/<name>/<sha256>/content.tar.gz`) that may be cached.
public struct ArtifactURL: Sendable, Equatable, CustomStringConvertible {
    /// The URL exactly as given.
    public let text: String
    /// `http` or `https`, lower-cased.
    public let scheme: String
    /// `host[:port]` (with any `user@`), as given.
    public let authority: String
    /// The path, from the `/` after the authority up to any `?` or `#`.
    public let path: String
    /// The text after `?`, if the URL has a query string.
    public let query: String?
    /// The text after `#`, if any.
    public let fragment: String?
    /// The file name the fetcher gives the download (``MesosURI/basename(_:)``: the text after the
    /// last `/`, query string and all).
    public let fetcherBasename: String
    /// The site name and digest when the path is `…/sites/<name>/<sha256>/content.tar.gz`.
    public let contentAddress: ArtifactAddress?

    /// Parses and checks a URL; refuses what the fetcher itself would reject.
    public init(parsing text: String) throws {
        self.text = text
        func refuse(_ reason: String) -> SitepackError {
            SitepackError(.taskArgumentRefused, "--artifact \(text): \(reason)")
        }
        if let bad = text.unicodeScalars.first(where: { $0 == "\\" || $0 == "'" || $0.value < 0x20 || $0.value == 0x7F || $0 == " " }) {
            let shown = bad == " " ? "a space" : bad.value < 0x20 || bad.value == 0x7F ? "a control character" : "\(bad)"
            throw refuse("contains \(shown); the Mesos fetcher refuses backslashes, single quotes and NUL (\"Illegal characters in URI\"), and spaces must be percent-encoded")
        }
        guard let separator = text.range(of: "://") else {
            throw refuse("expected an http:// or https:// URL where the agents can download the artifact")
        }
        let scheme = text[..<separator.lowerBound].lowercased()
        guard scheme == "http" || scheme == "https" else {
            throw refuse("scheme \(scheme) is not supported; use an http:// or https:// URL of the artifact server")
        }
        let remainder = text[separator.upperBound...]
        guard let slash = remainder.firstIndex(of: "/"), remainder.index(after: slash) < remainder.endIndex else {
            throw refuse("has no path after the host; the fetcher fails with \"Malformed URI (missing path)\". Use the artifact's full URL, e.g. http://HOST:PORT/sites/NAME/SHA256/content.tar.gz")
        }
        let authority = String(remainder[..<slash])
        guard !authority.isEmpty else { throw refuse("has no host") }
        var rest = remainder[slash...]
        var fragment: String?
        if let hash = rest.firstIndex(of: "#") {
            fragment = String(rest[rest.index(after: hash)...])
            rest = rest[..<hash]
        }
        var query: String?
        if let question = rest.firstIndex(of: "?") {
            query = String(rest[rest.index(after: question)...])
            rest = rest[..<question]
        }
        self.scheme = scheme
        self.authority = authority
        self.path = String(rest)
        self.query = query
        self.fragment = fragment
        self.fetcherBasename = try MesosURI.basename(text)
        self.contentAddress = ArtifactAddress.parse(urlPath: String(rest))
    }

    /// `scheme://host:port` of the artifact server.
    public var origin: String { "\(scheme)://\(authority)" }

    /// Whether the bytes behind this URL can never change: content-addressed, no query, no fragment.
    /// Only such a URL may be fetched with `cache: true` (the fetcher cache never refreshes, §1.7).
    public var isImmutable: Bool { contentAddress != nil && query == nil && fragment == nil }

    /// Why the fetcher would not extract this URL into the sandbox when it keeps its own name,
    /// or nil when it would.
    public var extractionProblem: String? {
        if query != nil || fragment != nil {
            return "it has a \(query != nil ? "query string" : "fragment"): the Mesos fetcher names the download \"\(fetcherBasename)\" (it does not strip \(query != nil ? "queries" : "fragments"), mesos.md §1.4), which does not end in .tar.gz or .tgz, so the archive would be copied into the sandbox but never extracted"
        }
        if !MesosURI.isArtifactName(fetcherBasename) {
            return "its file name \"\(fetcherBasename)\" does not end in .tar.gz or .tgz (case-sensitive), so the Mesos fetcher would copy it into the sandbox without extracting it (mesos.md §1.6) and $MESOS_SANDBOX/site would not exist"
        }
        return nil
    }

    public var description: String { text }
}

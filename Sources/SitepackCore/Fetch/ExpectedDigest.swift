/// The sha256 a URI's bytes must have, and the one place fetched bytes are compared with it.
///
/// The digest comes from the URI itself when its path is content-addressed
/// (`…/sites/<name>/<sha256>/content.tar.gz`), else from `--sha256`; a URI with neither is not
/// verified. Nothing is extracted or cached before ``check(_:cached:)`` passed.
public struct ExpectedDigest: Sendable, Equatable {
    /// The digest, lower-case hex.
    public let sha256: String
    /// The URI, for messages.
    public let uri: String
    /// Whether the digest is the one the URI's own path names (else it came from `--sha256`).
    public let isContentAddress: Bool

    /// The digest `plan`'s bytes must have: the one a content-addressed URI carries, else `given`
    /// (`--sha256`); nil when neither says. Refuses a `given` that is not a digest, or that contradicts
    /// the URI's own (a usage error: one of the two names the wrong artifact).
    public init?(for plan: FetchPlan, given text: String?) throws {
        var given: String?
        if let text {
            guard ArtifactAddress.isSHA256Hex(text) else {
                throw SitepackError(.invalidInput, "--sha256 '\(text)' is not a sha256 digest (64 hex digits)")
            }
            given = text.lowercased()
        }
        self.uri = plan.uri.value
        if let address = plan.contentAddress {
            if let given, given != address.sha256 {
                throw SitepackError(.fetchDigestConflict, "--sha256 \(given) contradicts \(plan.uri.value), whose path names the digest \(address.sha256) (a content-addressed URL is always verified against its own digest); drop --sha256, or fetch the URL of the version you mean")
            }
            self.sha256 = address.sha256
            self.isContentAddress = true
        } else if let given {
            self.sha256 = given
            self.isContentAddress = false
        } else {
            return nil
        }
    }

    /// Throws the integrity error unless `actual` is the expected digest; `cached` says whether the
    /// bytes were bound for the cache (for the message: what was kept safe).
    public func check(_ actual: String, cached: Bool) throws {
        guard actual != sha256 else { return }
        let kept = cached ? "nothing was extracted or cached" : "nothing was extracted and the download was removed"
        if isContentAddress {
            throw SitepackError(.integrity, "sha256 mismatch for \(uri): its path names the digest \(sha256), but its bytes hash to \(actual); \(kept). The server answers a content-addressed (immutable) URL with other bytes: check that it serves the store the URL came from, or publish the artifact again (sitepack publish)")
        }
        throw SitepackError(.integrity, "sha256 mismatch for \(uri): expected \(sha256), got \(actual); \(kept). Check the URL, or the digest (sitepack build prints it)")
    }
}

/// A rule a hostile or unusual archive entry breaks.
public struct ExtractionViolation: Error, Sendable, Equatable {
    /// A stable rule identifier such as `dot-dot` or `symlink-escape`.
    public var rule: String
    /// The entry's name as stored in the archive.
    public var entry: String
    /// What is wrong, in words.
    public var reason: String

    /// Creates a violation.
    public init(rule: String, entry: String, reason: String) {
        self.rule = rule
        self.entry = entry
        self.reason = reason
    }

    /// The error `fetch` reports (exit status 3).
    public func error(archive: String) -> SitepackError {
        SitepackError(.unsafeInput, "refused \(archive): entry '\(entry)' breaks rule \(rule): \(reason); nothing was extracted. Rebuild the archive without it (sitepack build), or use --mesos-compat in a throwaway folder to see what Mesos would do")
    }
}

/// One thing `sitepack verify` found.
public struct VerifyFinding: Codable, Sendable, Equatable {
    /// How bad it is.
    public enum Severity: String, Codable, Sendable, Comparable {
        /// For information.
        case info
        /// Works, but worth fixing.
        case warning
        /// Fails the verification.
        case error

        private var rank: Int {
            switch self {
            case .info: 0
            case .warning: 1
            case .error: 2
            }
        }

        /// Orders info < warning < error.
        public static func < (lhs: Severity, rhs: Severity) -> Bool { lhs.rank < rhs.rank }
    }
    /// What kind of failure an error-level finding is (decides the exit status).
    public enum Kind: String, Codable, Sendable {
        /// The bytes cannot be read (exit 1).
        case corrupt
        /// Strict mode would refuse it or Mesos would fail on it (exit 3).
        case unsafe
        /// The archive does not match its manifest (exit 4).
        case integrity
        /// Advice.
        case lint
    }
    /// Severity.
    public var severity: Severity
    /// Its kind.
    public var kind: Kind
    /// A stable rule name, e.g. `symlink-escape`, `non-ascii-name`, `manifest-sha256`.
    public var rule: String
    /// The entry concerned, if any.
    public var entry: String?
    /// What is wrong.
    public var message: String
    /// How to fix it.
    public var fix: String
}

extension VerifyFinding {
    /// A finding, in the order the rule tables read: severity, kind, rule, entry, what, fix.
    init(_ severity: Severity, _ kind: Kind, _ rule: String, _ entry: String?, _ message: String, _ fix: String) {
        self.init(severity: severity, kind: kind, rule: rule, entry: entry, message: message, fix: fix)
    }
}

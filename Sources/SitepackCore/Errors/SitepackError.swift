#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The one error type of sitepack: an opaque code, a message that names the input and the fix,
/// and the underlying cause when there is one.
///
/// Each concern adds its own codes in an extension of ``SitepackError/Code`` beside its code
/// (`Build/`, `Fetch/`, …), so the type does not grow into one enum that every part edits.
public struct SitepackError: Error, Sendable, CustomStringConvertible {
    /// An opaque, stable identifier for the kind of failure; compare with the static members.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// A short dotted name such as `build.source-missing`, stable across versions.
        public let name: String
        /// The process exit status this failure maps to (see README, "Exit codes").
        public let exitStatus: Int32

        /// Creates a code; `exitStatus` defaults to 1 (failure).
        public init(_ name: String, exitStatus: Int32 = ExitStatus.failure) {
            self.name = name
            self.exitStatus = exitStatus
        }

        public var description: String { name }

        public static func == (lhs: Code, rhs: Code) -> Bool { lhs.name == rhs.name }
        public func hash(into hasher: inout Hasher) { hasher.combine(name) }
    }

    /// Exit statuses shared by every subcommand.
    public enum ExitStatus {
        /// Success.
        public static let ok: Int32 = 0
        /// Any failure not listed below.
        public static let failure: Int32 = 1
        /// Bad command-line usage.
        public static let usage: Int32 = 2
        /// Unsafe input refused: a hostile archive, a path escaping its root, a symlink pointing outside.
        public static let unsafeInput: Int32 = 3
        /// Integrity check failed: a digest or manifest did not match.
        public static let integrity: Int32 = 4
    }

    /// What kind of failure this is.
    public var code: Code
    /// What went wrong and how to fix it, naming the path, URL or entry involved.
    public var message: String
    /// The error that caused this one, if any.
    public var underlying: (any Error & Sendable)?

    /// Creates an error with a code, a message and an optional cause.
    public init(_ code: Code, _ message: String, underlying: (any Error & Sendable)? = nil) {
        self.code = code
        self.message = message
        self.underlying = underlying
    }

    public var description: String {
        guard let underlying else { return message }
        return "\(message) (\(underlying))"
    }
}

extension SitepackError.Code {
    /// A system call failed; the message carries `strerror`.
    public static let io = SitepackError.Code("io")
    /// An input that cannot be used as given (bad value, bad file content).
    public static let invalidInput = SitepackError.Code("invalid-input")
    /// Unsafe input refused.
    public static let unsafeInput = SitepackError.Code("unsafe-input", exitStatus: SitepackError.ExitStatus.unsafeInput)
    /// A digest or manifest did not match.
    public static let integrity = SitepackError.Code("integrity", exitStatus: SitepackError.ExitStatus.integrity)
    /// The operation was interrupted by a signal.
    public static let interrupted = SitepackError.Code("interrupted", exitStatus: 130)
}

import Crypto
import Foundation

/// The shared secret that lets `sitepack publish` write into a running `serve`: read from a file (never
/// from the command line, where `ps` would show it), sent as `Authorization: Bearer <token>`, and never
/// printed, logged or served.
public struct PublishToken: Sendable {
    private let digest: [UInt8]
    /// The token text, for the client that sends it.
    public let text: String

    /// The token in `path`: the file's text without surrounding white space (a trailing newline from
    /// `echo` is fine). An unreadable or empty file is an error naming the file.
    public init(file path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw SitepackError(.invalidInput, "cannot read the token file \(path): create it with a secret on one line (e.g. openssl rand -hex 32 > \(path); chmod 600 \(path))")
        }
        let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard !text.isEmpty, !text.contains(where: { $0.isNewline || $0 == " " || $0 == "\t" }) else {
            throw SitepackError(.invalidInput, "the token file \(path) must hold one token on one line, with no spaces (e.g. openssl rand -hex 32 > \(path))")
        }
        try self.init(text)
    }

    /// A token from its text.
    public init(_ text: String) throws {
        guard !text.isEmpty, text.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7f }) else {
            throw SitepackError(.invalidInput, "a publish token must be printable ASCII without spaces")
        }
        self.text = text
        digest = Array(SHA256.hash(data: Data(text.utf8)))
    }

    /// Whether `candidate` is the token, in time that does not depend on where they differ (both are
    /// hashed first, so not on their lengths either).
    public func matches(_ candidate: Substring) -> Bool {
        let other = Array(SHA256.hash(data: Data(candidate.utf8)))
        var difference: UInt8 = 0
        for index in 0..<digest.count { difference |= digest[index] ^ other[index] }
        return difference == 0
    }

    /// What a request's `Authorization` header says: no bearer token, the right one, or another.
    public enum Verdict: Sendable, Equatable { case missing, accepted, refused }

    /// Judges an `Authorization` header value (`Bearer <token>`, scheme case-insensitive).
    public func judge(authorization: String?) -> Verdict {
        guard let value = authorization?.trimmingCharacters(in: .whitespaces), value.count > 7,
              value.prefix(7).lowercased() == "bearer " else { return .missing }
        let candidate = value.dropFirst(7).drop { $0 == " " }
        return matches(candidate) ? .accepted : .refused
    }
}

extension PublishToken: CustomStringConvertible {
    /// Never the token itself, so interpolating one into a log line leaks nothing.
    public var description: String { "<publish token>" }
}

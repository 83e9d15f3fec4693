public import Crypto

extension Sequence where Element == UInt8 {
    /// Lower-case hexadecimal text of these bytes, as `sha256sum` prints a digest.
    public var hexString: String {
        var text = ""
        text.reserveCapacity(64)
        for byte in self {
            text.append(Self.hexDigits[Int(byte >> 4)])
            text.append(Self.hexDigits[Int(byte & 0x0f)])
        }
        return text
    }

    private static var hexDigits: [Character] { Array("0123456789abcdef") }
}

extension SHA256Digest {
    /// The digest as 64 lower-case hex characters.
    public var hex: String { Array(self).hexString }
}

/// Checks that a string is a SHA-256 digest in hex (64 hex digits, either case).
public func isSHA256Hex(_ text: String) -> Bool {
    text.utf8.count == 64 && text.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) || (65...70).contains($0) }
}

/// The rule for names that become URL path segments (`/sites/<name>/…`), task ids and archive top
/// folders: one shared rule, so `build` never makes an artifact that `serve` would refuse.
public enum SiteName {
    /// Letters, digits, `.`, `_`, `-`; not starting with a dot (so never `.`, `..` or a dotfile); at most 200 bytes.
    public static func isSafeSegment(_ text: String) -> Bool {
        guard let first = text.utf8.first, first != UInt8(ascii: "."), text.utf8.count <= 200 else { return false }
        return text.utf8.allSatisfy { byte in
            (48...57).contains(byte) || (65...90).contains(byte) || (97...122).contains(byte)
                || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
        }
    }
}

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

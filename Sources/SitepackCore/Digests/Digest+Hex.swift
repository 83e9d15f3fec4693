public import Crypto

extension Sequence where Element == UInt8 {
    /// Lower-case hexadecimal text of these bytes, as `sha256sum` prints a digest.
    public var hexString: String {
        let bytes = Array(self)
        // Written as ASCII bytes in one allocation: a build hashes every file of a site.
        return String(unsafeUninitializedCapacity: bytes.count * 2) { text in
            var index = 0
            for byte in bytes {
                text[index] = hexDigit(byte >> 4)
                text[index + 1] = hexDigit(byte & 0x0f)
                index += 2
            }
            return index
        }
    }
}

/// The ASCII hex digit of a nibble (0–15), lower case.
private func hexDigit(_ nibble: UInt8) -> UInt8 {
    nibble < 10 ? 0x30 + nibble : 0x57 + nibble
}

extension SHA256Digest {
    /// The digest as 64 lower-case hex characters.
    public var hex: String { Array(self).hexString }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Crypto

/// SHA-256 of whole files, read in 1 MiB blocks.
public enum FileDigest {
    /// The hex SHA-256 of the file at `path`, with an error naming it when it cannot be read.
    public static func sha256(ofFile path: String) throws -> String {
        let file = try OwnedFileDescriptor(path: path, flags: O_RDONLY)
        var hasher = SHA256()
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let count = try file.read(into: buffer)
            if count == 0 { break }
            hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
        }
        try file.close()
        return hasher.finalize().hex
    }
}

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
        // Never stopped, so never nil.
        try sha256(ofFile: path, until: { false }) ?? ""
    }

    /// The hex SHA-256 of the file at `path`, or nil when `shouldStop` (asked between blocks) says so:
    /// long hashes on a server's scanner thread give up at shutdown.
    public static func sha256(ofFile path: String, until shouldStop: () -> Bool) throws -> String? {
        let file = try OwnedFileDescriptor(path: path, flags: O_RDONLY)
        _ = posix_fadvise(file.rawValue, 0, 0, POSIX_FADV_SEQUENTIAL)
        var hasher = SHA256()
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            if shouldStop() { return nil }
            let count = try file.read(into: buffer)
            if count == 0 { break }
            hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
        }
        try file.close()
        return hasher.finalize().hex
    }
}

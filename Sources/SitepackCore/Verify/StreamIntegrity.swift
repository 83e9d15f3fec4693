#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Crypto

/// `sitepack verify`'s first pass, over the raw bytes: the archive's sha256 and, for gzip, whether
/// every member inflates and the stream ends on a member boundary, with the inflated tar's sha256.
struct StreamIntegrity {
    /// sha256 of the archive's bytes.
    var sha256: String
    /// sha256 of the inflated tar, when the file is gzip and inflated cleanly.
    var tarSHA256: String?
    /// Whether the file starts with the gzip magic.
    var isGzip: Bool
    /// `gzip-corrupt`, `gzip-truncated` or `not-gzip`, in that order of discovery.
    var findings: [VerifyFinding] = []

    /// Reads `fd` from its start to its end.
    static func check(_ fd: borrowing OwnedFileDescriptor) throws -> StreamIntegrity {
        _ = lseek(fd.rawValue, 0, SEEK_SET)
        var findings: [VerifyFinding] = []
        var fileHasher = SHA256()
        var tarHasher = SHA256()
        var inflater = try GzipStreamInflater()
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        var isGzip = false
        var gzipOK = true
        var atMemberEnd = true
        var first = true
        while true {
            let got = try buffer.withUnsafeMutableBytes { try fd.read(into: $0) }
            if got == 0 { break }
            let chunk = buffer.withUnsafeBytes { UnsafeRawBufferPointer(rebasing: $0[0..<got]) }
            if first {
                isGzip = got >= 2 && chunk[0] == 0x1f && chunk[1] == 0x8b
                first = false
            }
            fileHasher.update(bufferPointer: chunk)
            if isGzip && gzipOK {
                do {
                    atMemberEnd = try inflater.inflate(chunk) { tarHasher.update(bufferPointer: $0) }
                } catch {
                    gzipOK = false
                    findings.append(VerifyFinding(.error, .corrupt, "gzip-corrupt", nil, "the gzip data is corrupt: \(error)", "rebuild the artifact; if it came over HTTP, check that the server sends the bytes unchanged (no Content-Encoding)"))
                }
            }
        }
        if isGzip && gzipOK && !atMemberEnd {
            gzipOK = false
            findings.append(VerifyFinding(.error, .corrupt, "gzip-truncated", nil, "the gzip stream ends in the middle of a member (truncated file)", "download or build the artifact again"))
        }
        if !isGzip {
            findings.append(VerifyFinding(.warning, .lint, "not-gzip", nil, "the archive is not gzip-compressed; sitepack artifacts are content.tar.gz", "build it with sitepack build"))
        }
        return StreamIntegrity(sha256: fileHasher.finalize().hex, tarSHA256: isGzip && gzipOK ? tarHasher.finalize().hex : nil,
                               isGzip: isGzip, findings: findings)
    }
}

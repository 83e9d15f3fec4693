#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads a file descriptor in fixed blocks (10240 bytes, as Mesos's `archive_read_open_fd`, by default).
public final class FileByteSource: ArchiveByteSource {
    private let fd: Int32
    private let path: String
    private var buffer: [UInt8]
    /// Bytes read from the file so far.
    public private(set) var consumedBytes: Int64 = 0

    /// Reads `fd` (owned by the caller, who keeps it open) in blocks of `blockSize`.
    public init(fd: Int32, path: String, blockSize: Int = 10240) {
        self.fd = fd
        self.path = path
        self.buffer = [UInt8](repeating: 0, count: blockSize)
    }

    /// Reads the next block; empty at the end of the file.
    public func nextChunk() throws -> UnsafeRawBufferPointer {
        let count = buffer.count
        let got = buffer.withUnsafeMutableBytes { bytes -> Int in
            while true {
                let n = Glibc.read(fd, bytes.baseAddress, count)
                if n >= 0 || errno != EINTR { return n }
            }
        }
        guard got >= 0 else {
            let code = errno
            throw SitepackError(.io, "cannot read \(path): \(String(cString: strerror(code)))", underlying: SystemCallError("read", errno: code))
        }
        consumedBytes += Int64(got)
        return buffer.withUnsafeBytes { UnsafeRawBufferPointer(rebasing: $0[0..<got]) }
    }

    /// Repositions the file (zip's central directory is read by seeking).
    public func seek(offset: Int64, whence: Int32) -> Int64? {
        let result = lseek(fd, off_t(offset), whence)
        return result < 0 ? nil : Int64(result)
    }
}

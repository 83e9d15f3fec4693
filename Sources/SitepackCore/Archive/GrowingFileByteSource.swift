#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads a ``GrowingFile`` from the start as its bytes arrive (no seeking).
public final class GrowingFileByteSource: ArchiveByteSource {
    private let fd: Int32
    private let path: String
    private let file: GrowingFile
    private var offset: Int64 = 0
    private var buffer: [UInt8]
    /// Bytes handed out so far.
    public var consumedBytes: Int64 { offset }

    /// Reads `fd` (kept open by the caller) while `file` grows.
    public init(fd: Int32, path: String, file: GrowingFile, blockSize: Int = 1 << 16) {
        self.fd = fd
        self.path = path
        self.file = file
        self.buffer = [UInt8](repeating: 0, count: blockSize)
    }

    /// The next bytes, waiting for the download when needed; empty at the end of a complete download.
    public func nextChunk() throws -> UnsafeRawBufferPointer {
        let available = try file.available(after: offset)
        if available <= offset { return UnsafeRawBufferPointer(start: nil, count: 0) }
        let count = Int(min(Int64(buffer.count), available - offset))
        let start = offset
        let got = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, count, off_t(start)) }
        guard got > 0 else {
            throw SitepackError(.io, "cannot read \(path) at offset \(offset): \(String(cString: strerror(errno)))")
        }
        offset += Int64(got)
        return buffer.withUnsafeBytes { UnsafeRawBufferPointer(rebasing: $0[0..<got]) }
    }

    /// A download being extracted cannot seek.
    public func seek(offset: Int64, whence: Int32) -> Int64? { nil }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The one choice of how an archive's bytes reach libarchive: a file made entirely of sitepack's
/// ``BlockedGzip`` members is inflated on every core by ``BlockedGzipSource`` and libarchive reads
/// the plain tar; anything else goes to libarchive as it is (tar or zip, gzip/bzip2/xz or none),
/// from a complete file or from a ``GrowingFile`` still being downloaded.
///
/// Mesos-compatible extraction does not use it: it reads every format, as the agent does.
public struct ArchiveSource {
    /// Where the archive's bytes are.
    public enum Input {
        /// A complete file open as `fd` (kept open by the caller), read from its start.
        case file(fd: Int32)
        /// A file open as `fd` (kept open by the caller) that another thread is still writing.
        case growing(fd: Int32, file: GrowingFile)
    }

    /// Who inflates sitepack's blocked gzip.
    public enum Inflation: Sendable, Equatable {
        /// ``BlockedGzipSource`` on `threads` cores (extraction: the fastest way).
        case parallel(threads: Int)
        /// libarchive's own gzip filter on one core, even for blocked gzip, so that the reader reports
        /// the file's real filter (`gzip`) and checks the gzip layer itself (verification).
        case libarchiveFilter
    }

    /// The bytes libarchive reads.
    public let bytes: any ArchiveByteSource
    /// The formats and filters to open them with: tar alone after parallel inflation, else tar or
    /// zip with any of the strict filters.
    public let formats: ArchiveReadFormats
    /// Whether the file is sitepack's blocked gzip (whoever inflates it).
    public let isBlockedGzip: Bool

    /// Chooses the source for `input`; `path` names the archive in messages. For a growing file this
    /// waits for its first bytes.
    public static func choose(for input: Input, path: String, inflation: Inflation) throws -> ArchiveSource {
        switch input {
        case .file(let fd):
            var info = stat()
            let members = fstat(fd, &info) == 0 ? BlockedGzipSource.members(fd: fd, size: Int64(info.st_size)) : nil
            if let members, case .parallel(let threads) = inflation {
                return ArchiveSource(bytes: BlockedGzipSource(fd: fd, path: path, members: members, threads: threads),
                                     formats: .tarOnly, isBlockedGzip: true)
            }
            _ = lseek(fd, 0, SEEK_SET)
            return ArchiveSource(bytes: FileByteSource(fd: fd, path: path, blockSize: 1 << 16),
                                 formats: .tarZipCompressed, isBlockedGzip: members != nil)
        case .growing(let fd, let file):
            let blocked = try BlockedGzipSource.startsWithMember(fd: fd, file: file)
            if blocked, case .parallel(let threads) = inflation {
                return ArchiveSource(bytes: BlockedGzipSource(fd: fd, path: path, growing: file, threads: threads),
                                     formats: .tarOnly, isBlockedGzip: true)
            }
            return ArchiveSource(bytes: GrowingFileByteSource(fd: fd, path: path, file: file),
                                 formats: .tarZipCompressed, isBlockedGzip: blocked)
        }
    }

    /// Opens a libarchive reader over the chosen bytes.
    public func reader(displayName: String, warningsAreFatal: Bool = true) throws -> ArchiveReader {
        try ArchiveReader(source: bytes, formats: formats, displayName: displayName, warningsAreFatal: warningsAreFatal)
    }
}

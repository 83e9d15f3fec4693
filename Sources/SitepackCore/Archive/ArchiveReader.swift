#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
private import CSitepackArchive

/// Where an ``ArchiveReader`` gets its bytes: a file, or any producer of chunks (for example the
/// parallel inflater of ``BlockedGzipSource``). Called from the reading thread only.
public protocol ArchiveByteSource: AnyObject {
    /// The next chunk of bytes, valid until the next call; an empty buffer at the end.
    func nextChunk() throws -> UnsafeRawBufferPointer
    /// Compressed (on-the-wire) bytes consumed so far, for the compression-ratio limit.
    var consumedBytes: Int64 { get }
    /// Repositions like `lseek`; nil when the source cannot seek (then zip is read in streaming mode).
    func seek(offset: Int64, whence: Int32) -> Int64?
}

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

/// Which formats and filters a reader accepts.
public enum ArchiveReadFormats: Sendable {
    /// What Mesos enables: every format and every filter (`format_all` + `filter_all`).
    case everything
    /// Strict mode: tar (ustar/pax/gnu) and zip, with gzip, bzip2 or xz compression or none.
    case tarZipCompressed
    /// The tar format alone, no decompression filter (the input is already an inflated tar stream).
    case tarOnly
}

/// The type of an archive entry as the extractor and the linter see it.
public enum ArchiveEntryKind: Sendable, Equatable {
    /// A regular file.
    case file
    /// A directory.
    case directory
    /// A symbolic link and its target, as stored.
    case symlink(target: String)
    /// A hard link to an earlier entry (or, in hostile archives, anything), as stored.
    case hardlink(target: String)
    /// A character device node.
    case characterDevice
    /// A block device node.
    case blockDevice
    /// A named pipe.
    case fifo
    /// A socket.
    case socket
    /// Any other type code.
    case unknown(UInt32)

    /// A short human name, used in refusal messages.
    public var name: String {
        switch self {
        case .file: "regular file"
        case .directory: "directory"
        case .symlink: "symbolic link"
        case .hardlink: "hard link"
        case .characterDevice: "character device"
        case .blockDevice: "block device"
        case .fifo: "FIFO"
        case .socket: "socket"
        case .unknown(let type): "entry of unknown type \(type)"
        }
    }
}

/// One entry header, copied out of libarchive.
public struct ArchiveEntryHeader: Sendable, Equatable {
    /// The name as stored (UTF-8 when libarchive can decode it).
    public var path: String
    /// What it is.
    public var kind: ArchiveEntryKind
    /// The size in the header (0 when unset).
    public var size: Int64
    /// Permission bits including setuid/setgid/sticky (`mode & 0o7777`).
    public var permissions: UInt32
    /// True when the entry describes a sparse file.
    public var isSparse: Bool
    /// Modification time, seconds since the epoch.
    public var mtime: Int64
}

/// The single owner of a libarchive reader over an ``ArchiveByteSource``.
public struct ArchiveReader: ~Copyable {
    final class SourceBox {
        let source: any ArchiveByteSource
        var error: (any Error)?
        init(_ source: any ArchiveByteSource) { self.source = source }
    }

    let archive: OpaquePointer
    private(set) var entry: OpaquePointer?
    private let box: Unmanaged<SourceBox>
    /// What the archive is called in messages.
    public let displayName: String
    /// Treat every `ARCHIVE_WARN` as an error (Mesos does).
    public let warningsAreFatal: Bool

    /// Opens `source` with the given formats.
    public init(source: any ArchiveByteSource, formats: ArchiveReadFormats, displayName: String, warningsAreFatal: Bool = true) throws {
        let box = Unmanaged.passRetained(SourceBox(source))
        guard let archive = archive_read_new() else {
            box.release()
            throw SitepackError(.archive, "cannot allocate a libarchive reader (out of memory)")
        }
        do {
            try Self.configure(archive, formats: formats, displayName: displayName)
            try Self.open(archive, box: box, displayName: displayName, warningsAreFatal: warningsAreFatal)
        } catch {
            archive_read_free(archive)
            box.release()
            throw error
        }
        self.archive = archive
        self.box = box
        self.displayName = displayName
        self.warningsAreFatal = warningsAreFatal
    }

    private static func open(_ archive: OpaquePointer, box: Unmanaged<SourceBox>, displayName: String, warningsAreFatal: Bool) throws {
        archive_read_set_read_callback(archive) { _, context, buffer in
            let box = Unmanaged<SourceBox>.fromOpaque(context!).takeUnretainedValue()
            do {
                let chunk = try box.source.nextChunk()
                buffer?.pointee = chunk.baseAddress
                return chunk.count
            } catch {
                box.error = error
                return -1
            }
        }
        if box.takeUnretainedValue().source.seek(offset: 0, whence: SEEK_CUR) != nil {
            archive_read_set_seek_callback(archive) { _, context, offset, whence in
                let box = Unmanaged<SourceBox>.fromOpaque(context!).takeUnretainedValue()
                return box.source.seek(offset: offset, whence: whence) ?? Int64(ARCHIVE_FATAL)
            }
        }
        archive_read_set_callback_data(archive, box.toOpaque())
        let result = archive_read_open1(archive)
        if result < ARCHIVE_OK, let error = box.takeUnretainedValue().error { throw error }
        try checkArchive(result, archive, "cannot open \(displayName)", code: .corruptArchive, warningsAreErrors: warningsAreFatal)
    }

    private static func configure(_ archive: OpaquePointer, formats: ArchiveReadFormats, displayName: String) throws {
        switch formats {
        case .everything:
            try checkArchive(archive_read_support_format_all(archive), archive, "libarchive formats")
            try checkArchive(archive_read_support_filter_all(archive), archive, "libarchive filters", warningsAreErrors: false)
        case .tarZipCompressed:
            try checkArchive(archive_read_support_format_tar(archive), archive, "libarchive tar")
            try checkArchive(archive_read_support_format_zip(archive), archive, "libarchive zip")
            // A filter backed by an external program returns ARCHIVE_WARN; that is fine here.
            try checkArchive(archive_read_support_filter_gzip(archive), archive, "libarchive gzip", warningsAreErrors: false)
            try checkArchive(archive_read_support_filter_bzip2(archive), archive, "libarchive bzip2", warningsAreErrors: false)
            try checkArchive(archive_read_support_filter_xz(archive), archive, "libarchive xz", warningsAreErrors: false)
        case .tarOnly:
            try checkArchive(archive_read_support_format_tar(archive), archive, "libarchive tar")
        }
    }

    deinit {
        archive_read_free(archive)
        box.release()
    }

    /// Compressed bytes consumed so far.
    public var consumedBytes: Int64 { box.takeUnretainedValue().source.consumedBytes }

    /// Reads the next header; nil at the end of the archive.
    public mutating func nextHeader() throws -> ArchiveEntryHeader? {
        var pointer: OpaquePointer?
        let result = archive_read_next_header(archive, &pointer)
        if result == ARCHIVE_EOF { return nil }
        try rethrowingSourceError(result, "cannot read the next entry of \(displayName)", corrupt: true)
        guard let pointer else { throw SitepackError(.corruptArchive, "\(displayName): libarchive returned no entry") }
        entry = pointer
        return Self.header(of: pointer)
    }

    static func header(of entry: OpaquePointer) -> ArchiveEntryHeader {
        let path = archive_entry_pathname_utf8(entry).map { String(cString: $0) }
            ?? archive_entry_pathname(entry).map { String(cString: $0) } ?? ""
        let type = UInt32(archive_entry_filetype(entry))
        let kind: ArchiveEntryKind
        if let hard = archive_entry_hardlink_utf8(entry) ?? archive_entry_hardlink(entry) {
            kind = .hardlink(target: String(cString: hard))
        } else {
            switch type {
            case SITEPACK_AE_IFREG: kind = .file
            case SITEPACK_AE_IFDIR: kind = .directory
            case SITEPACK_AE_IFLNK:
                let target = archive_entry_symlink_utf8(entry) ?? archive_entry_symlink(entry)
                kind = .symlink(target: target.map { String(cString: $0) } ?? "")
            case SITEPACK_AE_IFCHR: kind = .characterDevice
            case SITEPACK_AE_IFBLK: kind = .blockDevice
            case SITEPACK_AE_IFIFO: kind = .fifo
            case SITEPACK_AE_IFSOCK: kind = .socket
            default: kind = .unknown(type)
            }
        }
        return ArchiveEntryHeader(
            path: path, kind: kind,
            size: archive_entry_size_is_set(entry) != 0 ? archive_entry_size(entry) : 0,
            permissions: UInt32(archive_entry_perm(entry)) & 0o7777,
            isSparse: archive_entry_sparse_count(entry) > 0,
            mtime: Int64(archive_entry_mtime(entry)))
    }

    /// Reads the next block of the current entry's data; nil at the entry's end.
    public mutating func readBlock() throws -> (bytes: UnsafeRawBufferPointer, offset: Int64)? {
        var buffer: UnsafeRawPointer?
        var size = 0
        var offset: Int64 = 0
        let result = archive_read_data_block(archive, &buffer, &size, &offset)
        if result == ARCHIVE_EOF { return nil }
        try rethrowingSourceError(result, "cannot read the data of \(displayName)", corrupt: true)
        return (UnsafeRawBufferPointer(start: buffer, count: size), offset)
    }

    /// Skips the rest of the current entry's data.
    public mutating func skipData() throws {
        try rethrowingSourceError(archive_read_data_skip(archive), "cannot skip data in \(displayName)", corrupt: true)
    }

    /// The name of the format libarchive detected (after the first header), such as `POSIX pax interchange format`.
    public var formatName: String { archive_format_name(archive).map { String(cString: $0) } ?? "unknown" }

    /// The outermost filter's name, such as `gzip` or `none`.
    public var filterName: String { archive_filter_name(archive, 0).map { String(cString: $0) } ?? "none" }

    func rethrowingSourceError(_ result: Int32, _ context: @autoclosure () -> String, corrupt: Bool = false) throws {
        if result < ARCHIVE_OK, let error = box.takeUnretainedValue().error {
            box.takeUnretainedValue().error = nil
            throw error
        }
        try checkArchive(result, archive, context(), code: corrupt ? .corruptArchive : .archive, warningsAreErrors: warningsAreFatal)
    }
}

/// Runs `body` with this thread's `LC_CTYPE` set to `C.UTF-8` (`uselocale`, so other threads and the
/// process locale are untouched), letting libarchive convert UTF-8 names. Mesos never calls
/// `setlocale`, so Mesos-compatible extraction does not use this and fails on non-ASCII names as
/// Mesos does (MESOS-9393).
public func withUTF8CharacterLocale<T>(_ body: () throws -> T) rethrows -> T {
    guard let utf8 = newlocale(LC_CTYPE_MASK, "C.UTF-8", nil) else { return try body() }
    let previous = uselocale(utf8)
    defer {
        uselocale(previous)
        freelocale(utf8)
    }
    return try body()
}

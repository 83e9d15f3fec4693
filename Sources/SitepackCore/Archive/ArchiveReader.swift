#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
private import CSitepackArchive

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

private import CSitepackArchive
#if canImport(Glibc)
import Glibc
#endif

/// Owner of a libarchive writer producing a restricted-pax tar stream (no compression filter) into
/// a sink, with the reproducibility rules of DESIGN.md applied to every entry: uid/gid 0, empty
/// owner names, the given mode and one mtime with zero nanoseconds.
public struct TarStreamWriter: ~Copyable {
    private final class SinkBox {
        let sink: (UnsafeRawBufferPointer) throws -> Void
        var error: (any Error)?
        init(_ sink: @escaping (UnsafeRawBufferPointer) throws -> Void) { self.sink = sink }
    }

    private let archive: OpaquePointer
    private let entry: OpaquePointer
    private let box: Unmanaged<SinkBox>
    private let mtime: Int64

    /// Opens a writer whose every entry gets `mtime` (seconds, nanoseconds 0); bytes go to `sink`.
    public init(mtime: Int64, sink: @escaping (UnsafeRawBufferPointer) throws -> Void) throws {
        // libarchive converts UTF-8 names through the C library's locale; in the "C" locale a
        // non-ASCII name has no multibyte form and the ustar writer crashes on the NULL it gets.
        _ = utf8Locale
        let box = Unmanaged.passRetained(SinkBox(sink))
        guard let archive = archive_write_new(), let entry = archive_entry_new() else {
            box.release()
            throw SitepackError(.archive, "cannot allocate a libarchive writer (out of memory)")
        }
        do {
            try Self.configure(archive, box: box)
        } catch {
            archive_write_free(archive)
            archive_entry_free(entry)
            box.release()
            throw error
        }
        self.archive = archive
        self.entry = entry
        self.box = box
        self.mtime = mtime
    }

    private static func configure(_ archive: OpaquePointer, box: Unmanaged<SinkBox>) throws {
        try checkArchive(archive_write_set_format_pax_restricted(archive), archive, "cannot select the restricted pax format")
        try checkArchive(archive_write_add_filter_none(archive), archive, "cannot disable libarchive's compression")
        try checkArchive(archive_write_set_bytes_per_block(archive, 10240), archive, "cannot set the tar block size")
        let result = archive_write_open2(archive, box.toOpaque(), nil, { _, context, buffer, length in
            let box = Unmanaged<SinkBox>.fromOpaque(context!).takeUnretainedValue()
            do {
                try box.sink(UnsafeRawBufferPointer(start: buffer, count: length))
                return length
            } catch {
                box.error = error
                return -1
            }
        }, nil, nil)
        if result < ARCHIVE_OK, let error = box.takeUnretainedValue().error { throw error }
        try checkArchive(result, archive, "cannot start the tar stream")
    }

    deinit {
        archive_write_free(archive)
        archive_entry_free(entry)
        box.release()
    }

    /// Writes one entry header; for a file, follow with `writeData` for exactly its size.
    public mutating func writeHeader(path: String, kind: TarEntryKind, mode: UInt32) throws {
        archive_entry_clear(entry)
        _ = path.withCString { archive_entry_update_pathname_utf8(entry, $0) }
        archive_entry_set_uid(entry, 0)
        archive_entry_set_gid(entry, 0)
        archive_entry_set_mtime(entry, time_t(mtime), 0)
        archive_entry_set_perm(entry, mode_t(mode))
        switch kind {
        case .file(let size):
            archive_entry_set_filetype(entry, SITEPACK_AE_IFREG)
            archive_entry_set_size(entry, size)
        case .directory:
            archive_entry_set_filetype(entry, SITEPACK_AE_IFDIR)
            archive_entry_set_size(entry, 0)
        case .symlink(let target):
            archive_entry_set_filetype(entry, SITEPACK_AE_IFLNK)
            archive_entry_set_size(entry, 0)
            _ = target.withCString { archive_entry_update_symlink_utf8(entry, $0) }
        }
        try rethrowingSinkError(archive_write_header(archive, entry), "cannot write the tar header of \(path)")
    }

    /// Writes file content for the current entry.
    public mutating func writeData(_ bytes: UnsafeRawBufferPointer) throws {
        let written = archive_write_data(archive, bytes.baseAddress, bytes.count)
        if written < 0 { try rethrowingSinkError(Int32(written), "cannot write file data to the tar stream") }
    }

    /// Writes the end-of-archive marker and flushes every byte to the sink.
    public consuming func finish() throws {
        try rethrowingSinkError(archive_write_close(archive), "cannot finish the tar stream")
    }

    private func rethrowingSinkError(_ result: Int32, _ context: String) throws {
        if result < ARCHIVE_OK, let error = box.takeUnretainedValue().error { throw error }
        try checkArchive(result, archive, context)
    }
}

/// Switches LC_CTYPE to C.UTF-8 once per process (file names are UTF-8 bytes everywhere sitepack runs).
private let utf8Locale: Bool = setlocale(LC_CTYPE, "C.UTF-8") != nil

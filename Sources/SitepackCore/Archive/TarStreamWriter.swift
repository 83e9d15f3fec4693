private import CSitepackArchive
#if canImport(Glibc)
import Glibc
#endif

/// Writes a restricted-pax tar stream (no compression) into a sink, with the reproducibility rules
/// of DESIGN.md applied to every entry: uid/gid 0, empty owner names, the given mode and one mtime
/// with zero nanoseconds.
///
/// The bytes are libarchive's (`archive_write_set_format_pax_restricted`, 10240-byte blocks), so
/// artifacts stay byte-identical to earlier versions: plain ustar headers are written here
/// (``UstarHeader``, a fraction of libarchive's cost per entry), and an entry that needs a pax
/// extension gets its header bytes from libarchive itself. File data goes to the sink in large
/// pieces without an intermediate block copy.
public struct TarStreamWriter: ~Copyable {
    /// libarchive's default block: the stream is padded to a multiple of it.
    static let blockSize = 10240
    private static let stagingSize = 64 << 10

    private let sink: (UnsafeRawBufferPointer) throws -> Void
    private let mtime: Int64
    /// Headers, padding and small data gather here before going to the sink.
    private let staging: UnsafeMutableRawBufferPointer
    private var staged = 0
    /// Bytes of the stream so far (given to the sink or staged).
    private var position: Int64 = 0
    /// Data bytes the current entry still expects.
    private var remaining: Int64 = 0
    /// Zeros due after the current entry's data, up to the next 512-byte boundary.
    private var padding = 0

    /// Opens a writer whose every entry gets `mtime` (seconds, nanoseconds 0); bytes go to `sink`.
    public init(mtime: Int64, sink: @escaping (UnsafeRawBufferPointer) throws -> Void) throws {
        self.sink = sink
        self.mtime = mtime
        staging = .allocate(byteCount: Self.stagingSize, alignment: 64)
    }

    deinit { staging.deallocate() }

    /// Writes one entry header; for a file, follow with `writeData` for exactly its size.
    public mutating func writeHeader(path: String, kind: TarEntryKind, mode: UInt32) throws {
        var path = path
        try path.withUTF8 { try writeHeader(path: UnsafeRawBufferPointer($0), kind: kind, mode: mode) }
    }

    /// Writes one entry header for a path given as UTF-8 bytes.
    mutating func writeHeader(path: UnsafeRawBufferPointer, kind: TarEntryKind, mode: UInt32) throws {
        try closeEntry()
        if staged + UstarHeader.size > staging.count { try flush() }
        let slot = UnsafeMutableRawBufferPointer(rebasing: staging[staged..<(staged + UstarHeader.size)])
        let encoded: Bool
        switch kind {
        case .file(let size): encoded = UstarHeader.encode(into: slot, path: path, kind: .file(size: size), mode: mode, mtime: mtime)
        case .directory: encoded = UstarHeader.encode(into: slot, path: path, kind: .directory, mode: mode, mtime: mtime)
        case .symlink(let target):
            var target = target
            encoded = target.withUTF8 { UstarHeader.encode(into: slot, path: path, kind: .symlink(target: UnsafeRawBufferPointer($0)), mode: mode, mtime: mtime) }
        }
        if encoded {
            staged += UstarHeader.size
            position += Int64(UstarHeader.size)
        } else {
            let bytes = try Self.libarchiveHeader(path: String(decoding: path, as: UTF8.self), kind: kind, mode: mode, mtime: mtime)
            try bytes.withUnsafeBytes { try append($0) }
        }
        if case .file(let size) = kind {
            remaining = size
            padding = Int((512 - size % 512) % 512)
        }
    }

    /// Writes file content for the current entry (at most what its header declared).
    public mutating func writeData(_ bytes: UnsafeRawBufferPointer) throws {
        guard Int64(bytes.count) <= remaining else {
            throw SitepackError(.archive, "cannot write file data to the tar stream: \(bytes.count) bytes given where \(remaining) remain of the entry")
        }
        remaining -= Int64(bytes.count)
        try append(bytes)
    }

    /// Writes the end-of-archive marker, pads to the block size and hands every byte to the sink.
    public consuming func finish() throws {
        try closeEntry()
        try appendZeros(2 * UstarHeader.size)
        let tail = Int(position % Int64(Self.blockSize))
        if tail != 0 { try appendZeros(Self.blockSize - tail) }
        try flush()
    }

    /// Pads the current entry: zeros for data it never got (as libarchive does), then to 512 bytes.
    private mutating func closeEntry() throws {
        let due = remaining + Int64(padding)
        remaining = 0
        padding = 0
        if due > 0 { try appendZeros(Int(due)) }
    }

    private mutating func append(_ bytes: UnsafeRawBufferPointer) throws {
        position += Int64(bytes.count)
        if bytes.count <= staging.count - staged {
            UnsafeMutableRawBufferPointer(rebasing: staging[staged..<(staged + bytes.count)]).copyMemory(from: bytes)
            staged += bytes.count
            return
        }
        try flush()
        if bytes.count >= staging.count / 2 {
            try sink(bytes)
        } else {
            UnsafeMutableRawBufferPointer(rebasing: staging[0..<bytes.count]).copyMemory(from: bytes)
            staged = bytes.count
        }
    }

    private mutating func appendZeros(_ count: Int) throws {
        var left = count
        while left > 0 {
            if staged == staging.count { try flush() }
            let take = min(left, staging.count - staged)
            UnsafeMutableRawBufferPointer(rebasing: staging[staged..<(staged + take)]).initializeMemory(as: UInt8.self, repeating: 0)
            staged += take
            position += Int64(take)
            left -= take
        }
    }

    private mutating func flush() throws {
        guard staged > 0 else { return }
        let count = staged
        staged = 0
        try sink(UnsafeRawBufferPointer(rebasing: staging[0..<count]))
    }

    /// The header bytes libarchive's restricted-pax writer gives the entry (a pax extended header and
    /// its records first when it needs one): a one-entry writer without blocking, whose output is kept
    /// while the header is written and refused after.
    static func libarchiveHeader(path: String, kind: TarEntryKind, mode: UInt32, mtime: Int64) throws -> [UInt8] {
        // libarchive converts UTF-8 names through the C library's locale; in the "C" locale a
        // non-ASCII name has no multibyte form and the ustar writer crashes on the NULL it gets.
        _ = utf8Locale
        final class Capture {
            var bytes: [UInt8] = []
            var open = true
        }
        let capture = Capture()
        let context = Unmanaged.passRetained(capture)
        defer { context.release() }
        guard let archive = archive_write_new() else {
            throw SitepackError(.archive, "cannot allocate a libarchive writer (out of memory)")
        }
        defer { archive_write_free(archive) }
        guard let entry = archive_entry_new() else {
            throw SitepackError(.archive, "cannot allocate a libarchive entry (out of memory)")
        }
        defer { archive_entry_free(entry) }
        try checkArchive(archive_write_set_format_pax_restricted(archive), archive, "cannot select the restricted pax format")
        try checkArchive(archive_write_add_filter_none(archive), archive, "cannot disable libarchive's compression")
        try checkArchive(archive_write_set_bytes_per_block(archive, 0), archive, "cannot turn off tar blocking")
        try checkArchive(archive_write_open2(archive, context.toOpaque(), nil, { _, context, buffer, length in
            let capture = Unmanaged<Capture>.fromOpaque(context!).takeUnretainedValue()
            // After the header, refuse: libarchive then frees the writer without writing the entry's
            // data as zeros (8 GiB of them for the largest file this is asked about).
            guard capture.open else { return -1 }
            if let buffer { capture.bytes.append(contentsOf: UnsafeRawBufferPointer(start: buffer, count: length)) }
            return length
        }, nil, nil), archive, "cannot start the tar stream")
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
        try checkArchive(archive_write_header(archive, entry), archive, "cannot write the tar header of \(path)")
        capture.open = false
        return capture.bytes
    }
}

/// Switches LC_CTYPE to C.UTF-8 once per process (file names are UTF-8 bytes everywhere sitepack runs).
private let utf8Locale: Bool = setlocale(LC_CTYPE, "C.UTF-8") != nil

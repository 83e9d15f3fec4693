private import CSitepackZlib

/// The compressor sitepack builds with, as recorded in manifests.
public enum DeflateLibrary {
    /// `libdeflate`'s version string, e.g. `1.14`.
    public static var libdeflateVersion: String { String(cString: sitepack_libdeflate_version()) }
    /// zlib's version string, e.g. `1.2.13`.
    public static var zlibVersion: String { String(cString: sitepack_zlib_version()) }

    /// CRC-32 (the gzip trailer's check value) of `bytes`, continuing from `crc`.
    public static func crc32(_ bytes: UnsafeRawBufferPointer, continuing crc: UInt32 = 0) -> UInt32 {
        libdeflate_crc32(crc, bytes.baseAddress, bytes.count)
    }
}

/// Owner of a libdeflate compressor at one level; raw DEFLATE, whole buffers.
public struct DeflateCompressor: ~Copyable {
    private let handle: OpaquePointer

    /// Allocates a compressor for `level` (1–12; 6 is gzip's default).
    public init(level: Int) throws {
        guard let handle = libdeflate_alloc_compressor(Int32(level)) else {
            throw SitepackError(.invalidInput, "compression level \(level) is not supported: use 1 to 9")
        }
        self.handle = handle
    }

    deinit { libdeflate_free_compressor(handle) }

    /// The largest output `compress` can produce for `count` input bytes.
    public func bound(_ count: Int) -> Int { libdeflate_deflate_compress_bound(handle, count) }

    /// Compresses `input` as raw DEFLATE into `output` (at least `bound(input.count)` bytes); returns the length.
    public func compress(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) -> Int {
        libdeflate_deflate_compress(handle, input.baseAddress, input.count, output.baseAddress, output.count)
    }
}

/// Owner of a libdeflate decompressor; raw DEFLATE, whole buffers, with a known output size.
public struct DeflateDecompressor: ~Copyable {
    private let handle: OpaquePointer

    /// Allocates a decompressor.
    public init() throws {
        guard let handle = libdeflate_alloc_decompressor() else {
            throw SitepackError(.io, "cannot allocate a DEFLATE decompressor (out of memory)")
        }
        self.handle = handle
    }

    deinit { libdeflate_free_decompressor(handle) }

    /// Inflates raw DEFLATE `input` into exactly `output.count` bytes; returns how many input bytes were used,
    /// or nil when the data is corrupt or does not inflate to exactly that size.
    public func decompress(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) -> Int? {
        var consumed = 0
        var produced = 0
        let result = libdeflate_deflate_decompress_ex(handle, input.baseAddress, input.count, output.baseAddress, output.count, &consumed, &produced)
        guard result == LIBDEFLATE_SUCCESS, produced == output.count else { return nil }
        return consumed
    }
}

/// Owner of a streaming zlib inflater for gzip data of any size (used where libdeflate's
/// whole-buffer API would need the whole file in memory).
public struct GzipStreamInflater: ~Copyable {
    private let stream: UnsafeMutablePointer<z_stream>

    /// Prepares an inflater that accepts gzip (and zlib) headers.
    public init() throws {
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        guard sitepack_inflate_init_gzip(stream) == Z_OK else {
            stream.deallocate()
            throw SitepackError(.io, "cannot initialise zlib")
        }
    }

    deinit {
        inflateEnd(stream)
        stream.deallocate()
    }

    /// Inflates from `input`, calling `sink` with each piece of output; handles concatenated members.
    /// Returns true when the input ended exactly at the end of a member.
    public mutating func inflate(_ input: UnsafeRawBufferPointer, sink: (UnsafeRawBufferPointer) throws -> Void) throws -> Bool {
        var output = [UInt8](repeating: 0, count: 256 * 1024)
        var atMemberEnd = input.isEmpty
        guard let base = input.baseAddress else { return atMemberEnd }
        stream.pointee.next_in = UnsafeMutablePointer(mutating: base.assumingMemoryBound(to: Bytef.self))
        stream.pointee.avail_in = uInt(input.count)
        while stream.pointee.avail_in > 0 {
            let produced: Int
            let status: Int32 = output.withUnsafeMutableBytes { out in
                stream.pointee.next_out = out.baseAddress!.assumingMemoryBound(to: Bytef.self)
                stream.pointee.avail_out = uInt(out.count)
                return zlibInflate(stream, Z_NO_FLUSH)
            }
            produced = output.count - Int(stream.pointee.avail_out)
            if produced > 0 {
                try output.withUnsafeBytes { bytes in try sink(UnsafeRawBufferPointer(rebasing: bytes[0..<produced])) }
            }
            switch status {
            case Z_STREAM_END:
                atMemberEnd = true
                inflateReset(stream)
            case Z_OK, Z_BUF_ERROR:
                atMemberEnd = false
                if status == Z_BUF_ERROR && produced == 0 { return false }
            default:
                let text = stream.pointee.msg.map { String(cString: $0) } ?? "error \(status)"
                throw SitepackError(.corruptArchive, "gzip data is corrupt: \(text)")
            }
        }
        return atMemberEnd
    }
}

private func zlibInflate(_ stream: UnsafeMutablePointer<z_stream>, _ flush: Int32) -> Int32 {
    CSitepackZlib.inflate(stream, flush)
}

extension SitepackError.Code {
    /// Compressed or archive data that cannot be decoded.
    public static let corruptArchive = SitepackError.Code("corrupt-archive")
}

private import CSitepackZlib

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

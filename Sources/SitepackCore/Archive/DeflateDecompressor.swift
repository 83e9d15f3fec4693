private import CSitepackZlib

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

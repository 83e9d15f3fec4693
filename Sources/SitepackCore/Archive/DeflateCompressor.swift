private import CSitepackZlib

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

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

import Foundation

/// sitepack's gzip layout: a sequence of independent gzip members, each holding one fixed-size
/// block of the tar stream, so that blocks compress (and later inflate) on every core while the
/// bytes stay the same whatever the thread count. It is ordinary multi-member gzip (RFC 1952 §2.2)
/// that gzip, GNU tar, bsdtar, Python and the Mesos fetcher read as one stream.
///
/// Each member carries, like BGZF's `BC` field, an extra subfield `SP` (4 bytes, little-endian)
/// with the member's total size, so a reader can find every member without inflating.
public enum BlockedGzip {
    /// Bytes of tar stream per member: 2 MiB keeps the size within 0.7 % of one zlib stream (measured on
    /// the Python docs) while a 67 MB site still splits into ~33 blocks for the cores.
    public static let defaultBlockSize = 1 << 21
    /// Extra subfield identifier bytes `S`, `P`.
    public static let subfieldID: (UInt8, UInt8) = (0x53, 0x50)
    /// Header length of a sitepack member: 10 fixed + 2 XLEN + 8 subfield.
    public static let headerLength = 20
    /// Trailer length: CRC-32 + ISIZE.
    public static let trailerLength = 8

    /// Writes a member header for a member of `memberSize` total bytes.
    static func header(memberSize: Int, level: Int) -> [UInt8] {
        let xfl: UInt8 = level >= 9 ? 2 : (level <= 1 ? 4 : 0)
        let size = UInt32(memberSize)
        return [0x1f, 0x8b, 0x08, 0x04, 0, 0, 0, 0, xfl, 0x03, 8, 0, subfieldID.0, subfieldID.1, 4, 0,
                UInt8(size & 0xff), UInt8((size >> 8) & 0xff), UInt8((size >> 16) & 0xff), UInt8(size >> 24)]
    }

    /// If `bytes` starts with a sitepack member header, returns that member's total size.
    public static func memberSize(atStartOf bytes: UnsafeRawBufferPointer) -> Int? {
        guard bytes.count >= headerLength, bytes[0] == 0x1f, bytes[1] == 0x8b, bytes[2] == 0x08,
              bytes[3] & 0x04 != 0, bytes[3] & 0xe0 == 0 else { return nil }
        let xlen = Int(bytes[10]) | Int(bytes[11]) << 8
        guard bytes[3] == 0x04, xlen == 8, bytes[12] == subfieldID.0, bytes[13] == subfieldID.1,
              bytes[14] == 4, bytes[15] == 0 else { return nil }
        let size = Int(bytes[16]) | Int(bytes[17]) << 8 | Int(bytes[18]) << 16 | Int(bytes[19]) << 24
        return size >= headerLength + trailerLength ? size : nil
    }

    /// The uncompressed size (ISIZE) and CRC-32 stored in a whole member's trailer.
    public static func trailer(ofMember member: UnsafeRawBufferPointer) -> (crc: UInt32, size: Int) {
        let t = member.count - trailerLength
        func le32(_ i: Int) -> UInt32 {
            UInt32(member[i]) | UInt32(member[i + 1]) << 8 | UInt32(member[i + 2]) << 16 | UInt32(member[i + 3]) << 24
        }
        return (le32(t), Int(le32(t + 4)))
    }

    /// Inflates one whole sitepack member into a new buffer, checking its CRC and size.
    public static func inflate(member: UnsafeRawBufferPointer, with decompressor: borrowing DeflateDecompressor) throws -> [UInt8] {
        let (crc, size) = trailer(ofMember: member)
        let body = UnsafeRawBufferPointer(rebasing: member[headerLength..<(member.count - trailerLength)])
        var output = [UInt8](repeating: 0, count: size)
        let ok = output.withUnsafeMutableBytes { decompressor.decompress(body, into: $0) != nil }
        guard ok, output.withUnsafeBytes({ DeflateLibrary.crc32($0) }) == crc else {
            throw SitepackError(.corruptArchive, "a gzip member is corrupt (CRC or length mismatch)")
        }
        return output
    }

    /// Compresses one block into a complete member.
    static func member(for block: UnsafeRawBufferPointer, compressor: borrowing DeflateCompressor, level: Int) -> [UInt8] {
        let bound = compressor.bound(block.count)
        var out = [UInt8](repeating: 0, count: headerLength + bound + trailerLength)
        let deflated = out.withUnsafeMutableBytes { buffer in
            compressor.compress(block, into: UnsafeMutableRawBufferPointer(rebasing: buffer[headerLength..<(headerLength + bound)]))
        }
        let total = headerLength + deflated + trailerLength
        out.removeLast(out.count - total)
        let head = header(memberSize: total, level: level)
        out.replaceSubrange(0..<headerLength, with: head)
        let crc = DeflateLibrary.crc32(block)
        let size = UInt32(truncatingIfNeeded: block.count)
        let tail: [UInt8] = [UInt8(crc & 0xff), UInt8((crc >> 8) & 0xff), UInt8((crc >> 16) & 0xff), UInt8(crc >> 24),
                             UInt8(size & 0xff), UInt8((size >> 8) & 0xff), UInt8((size >> 16) & 0xff), UInt8(size >> 24)]
        out.replaceSubrange((total - trailerLength)..<total, with: tail)
        return out
    }
}

/// Compresses a byte stream into ``BlockedGzip`` members on `threads` worker threads, handing the
/// members to `sink` in order on the calling thread. At most `threads + 3` blocks are in memory.
///
/// Plain threads rather than tasks: the producer is a synchronous C callback (libarchive's writer)
/// that must block for back-pressure, which would starve Swift's cooperative pool on a 2-core machine.
///
/// `@unchecked Sendable`: the queue, in-flight list and job results are only touched under
/// `condition`; the current block and counters only by the producing thread.
public final class ParallelGzipWriter: @unchecked Sendable {
    private final class Job: @unchecked Sendable {
        let input: [UInt8]
        var output: [UInt8] = []
        var done = false
        init(_ input: [UInt8]) { self.input = input }
    }

    private let level: Int
    private let blockSize: Int
    private let threads: Int
    private let sink: (UnsafeRawBufferPointer) throws -> Void
    private var current: [UInt8] = []
    private let inlineCompressor: CompressorHolder?
    private let condition = NSCondition()
    private var queue: [Job] = []
    private var inFlight: [Job] = []
    private var closing = false
    private var liveWorkers = 0
    private let maxInFlight: Int

    /// Bytes given to `write`.
    public private(set) var uncompressedBytes: Int64 = 0
    /// Bytes handed to the sink.
    public private(set) var compressedBytes: Int64 = 0

    /// Starts `threads` workers (1 compresses on the calling thread) at `level` (1–9).
    public init(level: Int, threads: Int, blockSize: Int = BlockedGzip.defaultBlockSize,
                sink: @escaping (UnsafeRawBufferPointer) throws -> Void) throws {
        self.level = level
        self.blockSize = blockSize
        self.threads = max(1, threads)
        self.sink = sink
        self.maxInFlight = max(1, threads) + 2
        _ = try DeflateCompressor(level: level)  // validate the level before starting threads
        current.reserveCapacity(blockSize)
        if self.threads == 1 {
            inlineCompressor = CompressorHolder(try DeflateCompressor(level: level))
        } else {
            inlineCompressor = nil
            for _ in 0..<self.threads { startWorker() }
        }
    }

    deinit { cancel() }

    /// Appends bytes to the stream; full blocks are compressed.
    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        var remaining = bytes
        uncompressedBytes += Int64(bytes.count)
        while !remaining.isEmpty {
            let take = min(blockSize - current.count, remaining.count)
            current.append(contentsOf: UnsafeRawBufferPointer(rebasing: remaining[0..<take]))
            remaining = UnsafeRawBufferPointer(rebasing: remaining[take...])
            if current.count == blockSize { try submitCurrent() }
        }
    }

    /// Compresses the last partial block, waits for every member, and stops the workers.
    public func finish() throws {
        if !current.isEmpty || compressedBytes == 0 && inFlight.isEmpty { try submitCurrent() }
        condition.lock()
        var ready: [Job] = []
        while !inFlight.isEmpty {
            if inFlight[0].done { ready.append(inFlight.removeFirst()) } else { condition.wait() }
        }
        condition.unlock()
        for job in ready { try emit(job) }
        cancel()
    }

    private func submitCurrent() throws {
        let block = current
        current = []
        current.reserveCapacity(blockSize)
        if let inlineCompressor {
            let member = block.withUnsafeBytes { BlockedGzip.member(for: $0, compressor: inlineCompressor.compressor, level: level) }
            try emitBytes(member)
            return
        }
        let job = Job(block)
        condition.lock()
        queue.append(job)
        inFlight.append(job)
        condition.broadcast()
        var ready: [Job] = []
        while inFlight.count > maxInFlight || inFlight.first?.done == true {
            if inFlight[0].done { ready.append(inFlight.removeFirst()) } else { condition.wait() }
        }
        condition.unlock()
        for job in ready { try emit(job) }
    }

    private func emit(_ job: Job) throws { try emitBytes(job.output) }

    private func emitBytes(_ member: [UInt8]) throws {
        compressedBytes += Int64(member.count)
        try member.withUnsafeBytes { bytes in try sink(bytes) }
    }

    private func startWorker() {
        liveWorkers += 1
        let level = level
        let thread = Thread { [self] in
            // The level was validated in init, so allocation fails only when memory is exhausted.
            guard let compressor = try? DeflateCompressor(level: level) else { fatalError("libdeflate: out of memory") }
            while true {
                condition.lock()
                while queue.isEmpty && !closing { condition.wait() }
                if queue.isEmpty {
                    liveWorkers -= 1
                    condition.broadcast()
                    condition.unlock()
                    return
                }
                let job = queue.removeFirst()
                condition.unlock()
                let member = job.input.withUnsafeBytes { BlockedGzip.member(for: $0, compressor: compressor, level: level) }
                condition.lock()
                job.output = member
                job.done = true
                condition.broadcast()
                condition.unlock()
            }
        }
        thread.stackSize = 1 << 20
        thread.start()
    }

    /// Stops the workers without emitting what is still queued (after an error; `finish` calls it too).
    public func cancel() {
        condition.lock()
        closing = true
        queue.removeAll()
        condition.broadcast()
        while liveWorkers > 0 { condition.wait() }
        condition.unlock()
    }
}

/// A class box so a non-copyable compressor can live in an optional stored property.
private final class CompressorHolder {
    let compressor: DeflateCompressor
    init(_ compressor: consuming DeflateCompressor) { self.compressor = compressor }
}

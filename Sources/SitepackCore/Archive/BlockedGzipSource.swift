#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// The inflated tar stream of a sitepack ``BlockedGzip`` file, inflated on every core and handed out
/// in order: each member's size is in its `SP` extra field, so members are located without inflating
/// and inflated independently with libdeflate. At most `2 × threads + 2` members are in memory.
///
/// Plain threads, as in ``ParallelGzipWriter``: the consumer is libarchive's synchronous read callback.
/// `@unchecked Sendable`: the job list is only touched under `condition`.
public final class BlockedGzipSource: ArchiveByteSource, @unchecked Sendable {
    /// One member's place in the file.
    public struct Member: Sendable, Equatable {
        /// Offset of the member's first byte.
        public var offset: Int64
        /// Total member size (header, DEFLATE data, trailer).
        public var length: Int
        /// Uncompressed size from the trailer.
        public var inflatedSize: Int
    }

    /// Largest inflated member accepted (sitepack writes 1 MiB); anything larger uses the streaming path.
    public static let maxInflatedMember = 8 << 20

    private final class Job: @unchecked Sendable {
        let member: Member
        var output: [UInt8] = []
        var error: (any Error)?
        var done = false
        init(_ member: Member) { self.member = member }
    }

    private let fd: Int32
    private let path: String
    private let members: [Member]
    private var nextMember = 0
    private var current: [UInt8] = []
    private let condition = NSCondition()
    private var queue: [Job] = []
    private var inFlight: [Job] = []
    private var closing = false
    private var liveWorkers = 0
    private let maxInFlight: Int
    /// Compressed bytes of the members handed out so far.
    public private(set) var consumedBytes: Int64 = 0

    /// Scans `fd` (of `size` bytes) for a chain of sitepack members covering the whole file; nil when
    /// the file is not entirely sitepack members (then read it with libarchive's own gzip filter).
    public static func members(fd: Int32, size: Int64) -> [Member]? {
        var result: [Member] = []
        var offset: Int64 = 0
        var header = [UInt8](repeating: 0, count: BlockedGzip.headerLength)
        var trailer = [UInt8](repeating: 0, count: BlockedGzip.trailerLength)
        while offset < size {
            let got = header.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, off_t(offset)) }
            guard got == header.count,
                  let length = header.withUnsafeBytes({ BlockedGzip.memberSize(atStartOf: $0) }),
                  offset + Int64(length) <= size else { return nil }
            let end = offset + Int64(length) - Int64(BlockedGzip.trailerLength)
            let gotTrailer = trailer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, off_t(end)) }
            guard gotTrailer == trailer.count else { return nil }
            let inflated = Int(trailer[4]) | Int(trailer[5]) << 8 | Int(trailer[6]) << 16 | Int(trailer[7]) << 24
            guard inflated <= maxInflatedMember else { return nil }
            result.append(Member(offset: offset, length: length, inflatedSize: inflated))
            offset += Int64(length)
        }
        return result.isEmpty ? nil : result
    }

    /// Starts `threads` inflating workers over `members` of the file open as `fd` (kept open by the caller).
    public init(fd: Int32, path: String, members: [Member], threads: Int) {
        self.fd = fd
        self.path = path
        self.members = members
        let threads = max(1, threads)
        self.maxInFlight = 2 * threads + 2
        for _ in 0..<threads { startWorker() }
    }

    deinit { stop() }

    /// The next member's inflated bytes, in file order; empty after the last member.
    public func nextChunk() throws -> UnsafeRawBufferPointer {
        condition.lock()
        while inFlight.count < maxInFlight, nextMember < members.count {
            let job = Job(members[nextMember])
            nextMember += 1
            queue.append(job)
            inFlight.append(job)
        }
        condition.broadcast()
        guard let head = inFlight.first else {
            condition.unlock()
            current = []
            return UnsafeRawBufferPointer(start: nil, count: 0)
        }
        while !head.done { condition.wait() }
        inFlight.removeFirst()
        condition.unlock()
        if let error = head.error { throw error }
        current = head.output
        head.output = []
        consumedBytes += Int64(head.member.length)
        return current.withUnsafeBytes { $0 }
    }

    /// The inflated stream cannot seek.
    public func seek(offset: Int64, whence: Int32) -> Int64? { nil }

    private func startWorker() {
        liveWorkers += 1
        let thread = Thread { [self] in
            if let decompressor = try? DeflateDecompressor() { work(with: decompressor) }
            condition.lock()
            liveWorkers -= 1
            condition.broadcast()
            condition.unlock()
        }
        thread.stackSize = 1 << 20
        thread.start()
    }

    private func work(with decompressor: borrowing DeflateDecompressor) {
        var input: [UInt8] = []
        while true {
            condition.lock()
            while queue.isEmpty && !closing { condition.wait() }
            if queue.isEmpty {
                condition.unlock()
                return
            }
            let job = queue.removeFirst()
            condition.unlock()
            var output: [UInt8] = []
            var failure: (any Error)?
            do {
                let length = job.member.length
                if input.count < length { input = [UInt8](repeating: 0, count: length) }
                let got = input.withUnsafeMutableBytes { pread(fd, $0.baseAddress, length, off_t(job.member.offset)) }
                guard got == length else {
                    throw SitepackError(.io, "cannot read \(path) at offset \(job.member.offset): short read")
                }
                output = try input.withUnsafeBytes { bytes in
                    try BlockedGzip.inflate(member: UnsafeRawBufferPointer(rebasing: bytes[0..<length]), with: decompressor)
                }
            } catch let error as SitepackError {
                failure = SitepackError(error.code, "\(path): gzip member at offset \(job.member.offset): \(error.message)")
            } catch {
                failure = error
            }
            condition.lock()
            job.output = output
            job.error = failure
            job.done = true
            condition.broadcast()
            condition.unlock()
        }
    }

    /// Stops the workers (called on deinit).
    private func stop() {
        condition.lock()
        closing = true
        queue.removeAll()
        for job in inFlight where !job.done {
            job.done = true
        }
        condition.broadcast()
        while liveWorkers > 0 { condition.wait() }
        condition.unlock()
    }
}

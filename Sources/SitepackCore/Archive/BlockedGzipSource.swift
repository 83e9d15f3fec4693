#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// The inflated tar stream of a sitepack ``BlockedGzip`` file, inflated on every core and handed out
/// in order: each member's size is in its `SP` extra field, so members are located without inflating
/// and inflated independently with libdeflate. At most `threads + 2` members are in memory (each 1 MiB inflated).
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
    /// Set when members are discovered while the file is still being downloaded.
    private let growing: GrowingFile?
    private var nextOffset: Int64 = 0
    private var streamEnded = false
    private var current: [UInt8] = []
    private let workers = WorkerThreads()
    private var condition: NSCondition { workers.condition }
    private var queue: [Job] = []
    private var inFlight: [Job] = []
    private var closing = false
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
        self.growing = nil
        let threads = max(1, threads)
        self.maxInFlight = threads + 2
        for _ in 0..<threads { startWorker() }
    }

    /// Starts `threads` workers over a file that is still being downloaded: members are located as their
    /// bytes arrive. Every member must be a sitepack member (decide with ``startsWithMember(fd:file:)``).
    public init(fd: Int32, path: String, growing: GrowingFile, threads: Int) {
        self.fd = fd
        self.path = path
        self.members = []
        self.growing = growing
        let threads = max(1, threads)
        self.maxInFlight = threads + 2
        for _ in 0..<threads { startWorker() }
    }

    deinit { stop() }

    /// The next member's inflated bytes, in file order; empty after the last member.
    public func nextChunk() throws -> UnsafeRawBufferPointer {
        // Locate members outside the lock: with a growing file this waits for the download.
        while inFlightCount < maxInFlight, let member = try discoverNextMember() {
            condition.lock()
            let job = Job(member)
            queue.append(job)
            inFlight.append(job)
            condition.broadcast()
            condition.unlock()
        }
        condition.lock()
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

    private var inFlightCount: Int {
        condition.lock()
        defer { condition.unlock() }
        return inFlight.count
    }

    /// Whether the file's first bytes (waiting for them if it is still downloading) are a sitepack member.
    public static func startsWithMember(fd: Int32, file: GrowingFile) throws -> Bool {
        guard try file.waitFor(Int64(BlockedGzip.headerLength)) == Int64(BlockedGzip.headerLength) else { return false }
        var header = [UInt8](repeating: 0, count: BlockedGzip.headerLength)
        let got = header.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, 0) }
        return got == header.count && header.withUnsafeBytes { BlockedGzip.memberSize(atStartOf: $0) } != nil
    }

    private func discoverNextMember() throws -> Member? {
        guard let growing else {
            guard nextMember < members.count else { return nil }
            defer { nextMember += 1 }
            return members[nextMember]
        }
        if streamEnded { return nil }
        let start = nextOffset
        let headerEnd = start + Int64(BlockedGzip.headerLength)
        let have = try growing.waitFor(headerEnd)
        if have == start {
            streamEnded = true
            return nil
        }
        guard have == headerEnd else {
            throw SitepackError(.corruptArchive, "\(path) is truncated: it ends inside a gzip member header at offset \(start)")
        }
        var header = [UInt8](repeating: 0, count: BlockedGzip.headerLength)
        _ = header.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, off_t(start)) }
        guard let length = header.withUnsafeBytes({ BlockedGzip.memberSize(atStartOf: $0) }) else {
            throw SitepackError(.corruptArchive, "\(path): the gzip member at offset \(start) is not a sitepack member although the first one was (trailing data?); fetch with --sha256, which downloads first and then reads any gzip")
        }
        let end = start + Int64(length)
        guard try growing.waitFor(end) == end else {
            throw SitepackError(.corruptArchive, "\(path) is truncated: it ends inside the gzip member at offset \(start)")
        }
        var trailer = [UInt8](repeating: 0, count: BlockedGzip.trailerLength)
        _ = trailer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, off_t(end - Int64(BlockedGzip.trailerLength))) }
        let inflated = Int(trailer[4]) | Int(trailer[5]) << 8 | Int(trailer[6]) << 16 | Int(trailer[7]) << 24
        guard inflated <= Self.maxInflatedMember else {
            throw SitepackError(.corruptArchive, "\(path): the gzip member at offset \(start) claims \(inflated) bytes, more than a sitepack member holds")
        }
        nextOffset = end
        return Member(offset: start, length: length, inflatedSize: inflated)
    }

    /// The inflated stream cannot seek.
    public func seek(offset: Int64, whence: Int32) -> Int64? { nil }

    private func startWorker() {
        workers.start { [self] in
            if let decompressor = try? DeflateDecompressor() { work(with: decompressor) }
        }
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
        workers.waitUntilAllReturned()
        condition.unlock()
    }
}

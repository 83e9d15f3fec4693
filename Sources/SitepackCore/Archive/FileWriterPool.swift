#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// Creates and writes extracted files on worker threads while the extracting thread reads on. The
/// extractor checks each entry (``ExtractionPolicy``), makes its folders (``DirectoryWriter``), reads
/// its data under the limits, and hands over the open parent folder, the name and the bytes; a worker
/// creates the file relative to that folder with the same flags the extractor would use
/// (`O_CREAT | O_EXCL | O_NOFOLLOW`: nothing is followed or replaced), writes it, sets its times and
/// closes it. Creating a file is most of the kernel time of a site of many small files (the file
/// system's inode allocation), and it now runs on every core instead of behind the thread that
/// inflates and parses.
///
/// Bounded: at most ``maxBytes`` of data are in flight (``submit(_:)`` blocks beyond that), so memory
/// does not grow with the archive. Jobs travel in batches (one wake-up per batch). The first failure
/// is kept and thrown by a later ``submit(_:)`` or by ``drain()``; later jobs are dropped. The parent
/// folders' descriptors belong to the extractor, which keeps them open until ``drain()`` returned.
final class FileWriterPool: @unchecked Sendable {
    /// One file to make: where (an open folder and a name), its mode, data and times.
    struct Job: Sendable {
        var parent: Int32
        var name: String
        var mode: mode_t
        /// Whether the umask would clear bits of `mode` (then an `fchmod` restores them).
        var fixMode: Bool
        var data: [UInt8]
        var times: EntryTimes?
        /// The entry's path, for errors.
        var path: String
    }

    /// Files at most this large are handed to the pool; larger ones are streamed by the extractor.
    static let largestPooledFile: Int64 = 1 << 20
    /// Data in flight at most (the extractor waits beyond it).
    let maxBytes: Int

    /// Jobs are handed over in batches of up to this many files (one wake-up per batch, not per file).
    static let batchFiles = 64
    /// ... or this many bytes.
    static let batchBytes = 1 << 20

    private let workers = WorkerThreads()
    private var condition: NSCondition { workers.condition }
    private var batch: [Job] = []
    private var batchBytes = 0
    /// One queue of batches per worker. All the files of one folder go to one worker in order: files
    /// created in one folder serialise on its lock in the kernel, so workers split folders, not files.
    private var lanes: [[[Job]]]
    private var heads: [Int]
    /// The folder of the batch being gathered, and the worker its files go to.
    private var batchParent: Int32 = -1
    private var lane = 0
    private var inFlightBytes = 0
    private var pending = 0
    private var closing = false
    private var failure: DiskWriteFailure?

    /// A pool of `threads` workers (at least 1).
    init(threads: Int, maxBytes: Int = 2 << 20) {
        self.maxBytes = maxBytes
        let count = max(1, threads)
        lanes = Array(repeating: [], count: count)
        heads = Array(repeating: 0, count: count)
        for index in 0..<count {
            workers.start { [self] in work(lane: index) }
        }
    }

    /// Hands over a file; blocks while too much data is in flight. Throws the first failure of an
    /// earlier job (the job is then closed unwritten).
    func submit(_ job: Job) throws {
        if job.parent != batchParent {
            try flush()
            batchParent = job.parent
            lane = (lane + 1) % lanes.count
        }
        batch.append(job)
        batchBytes += job.data.count
        if batch.count >= Self.batchFiles || batchBytes >= Self.batchBytes { try flush() }
    }

    /// Hands the batch being gathered to the workers.
    private func flush() throws {
        guard !batch.isEmpty else { return }
        let jobs = batch
        let bytes = batchBytes
        batch = []
        batchBytes = 0
        condition.lock()
        while failure == nil && inFlightBytes > 0 && inFlightBytes + bytes > maxBytes { condition.wait() }
        if let failure {
            condition.unlock()
            throw failure
        }
        inFlightBytes += bytes
        pending += 1
        lanes[lane].append(jobs)
        condition.broadcast()
        condition.unlock()
    }

    /// Waits until every file handed over is written and closed; throws the first failure.
    func drain() throws {
        try flush()
        condition.lock()
        while pending > 0 { condition.wait() }
        let failure = self.failure
        condition.unlock()
        if let failure { throw failure }
    }

    /// Drains, then stops the workers (they end once the queue is empty). Idempotent; the owner of the
    /// folders the jobs name calls it before closing them (``DirectoryWriter``'s deinit).
    func shutdown() {
        batch = []
        condition.lock()
        while pending > 0 { condition.wait() }
        closing = true
        condition.broadcast()
        workers.waitUntilAllReturned()
        condition.unlock()
    }

    private func work(lane: Int) {
        condition.lock()
        while true {
            while heads[lane] == lanes[lane].count && !closing { condition.wait() }
            if heads[lane] == lanes[lane].count {
                condition.unlock()
                return
            }
            let jobs = lanes[lane][heads[lane]]
            lanes[lane][heads[lane]] = []
            heads[lane] += 1
            if heads[lane] > 64 && heads[lane] * 2 > lanes[lane].count {
                lanes[lane].removeFirst(heads[lane])
                heads[lane] = 0
            }
            var skip = failure != nil
            condition.unlock()
            var outcome: DiskWriteFailure?
            var bytes = 0
            for job in jobs {
                bytes += job.data.count
                if !skip, let failed = Self.make(job) {
                    outcome = failed
                    skip = true
                }
            }
            condition.lock()
            if let outcome, failure == nil { failure = outcome }
            inFlightBytes -= bytes
            pending -= 1
            condition.broadcast()
        }
    }

    /// Creates, writes, sets the mode and times, closes; returns the failure, if any.
    private static func make(_ job: Job) -> DiskWriteFailure? {
        let fd = openat(job.parent, job.name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, job.mode)
        guard fd >= 0 else { return DiskWriteFailure(call: "openat", errno: errno, path: job.path) }
        var failure: DiskWriteFailure?
        if job.fixMode && fchmod(fd, job.mode) != 0 {
            failure = DiskWriteFailure(call: "fchmod", errno: errno, path: job.path)
        }
        if failure == nil { job.data.withUnsafeBytes { bytes in
            var offset = 0
            while offset < bytes.count {
                let written = write(fd, bytes.baseAddress! + offset, bytes.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    failure = DiskWriteFailure(call: "write", errno: errno, path: job.path)
                    return
                }
                offset += written
            }
        } }
        if failure == nil, let times = job.times, times.withPointer({ futimens(fd, $0) }) != 0 {
            failure = DiskWriteFailure(call: "futimens", errno: errno, path: job.path)
        }
        if close(fd) != 0 && failure == nil {
            failure = DiskWriteFailure(call: "close", errno: errno, path: job.path)
        }
        return failure
    }
}

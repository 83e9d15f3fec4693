import Foundation

/// Compresses a byte stream into ``BlockedGzip`` members on `threads` worker threads, handing the
/// members to `sink` in order on the calling thread.
///
/// Memory is a fixed pool of `threads + 2` slots, each holding one input block and room for its
/// member, allocated once: the producer fills a slot in place, a worker compresses it, and the
/// producer writes members out in order and reuses their slots. Plain threads rather than tasks:
/// the producer is a synchronous C callback (libarchive's writer) that must block for back-pressure,
/// which would starve Swift's cooperative pool on a 2-core machine.
///
/// `@unchecked Sendable`: the queue, the in-flight list and the slots' `done` flags are only touched
/// under `condition`; a slot's buffers belong to the producer until queued, to one worker until
/// done, then to the producer again.
public final class ParallelGzipWriter: @unchecked Sendable {
    private final class Slot {
        let input: UnsafeMutableRawBufferPointer
        var inputCount = 0
        let output: UnsafeMutableRawBufferPointer
        var outputCount = 0
        var done = false

        init(blockSize: Int, memberBound: Int) {
            input = .allocate(byteCount: blockSize, alignment: 64)
            output = .allocate(byteCount: memberBound, alignment: 64)
        }

        deinit {
            input.deallocate()
            output.deallocate()
        }
    }

    private let level: Int
    private let blockSize: Int
    private let sink: (UnsafeRawBufferPointer) throws -> Void
    private let inlineCompressor: CompressorHolder?
    private let workers = WorkerThreads()
    private var condition: NSCondition { workers.condition }
    private var free: [Slot] = []
    private var queue: [Slot] = []
    private var inFlight: [Slot] = []
    private var filling: Slot?
    private var closing = false

    /// Bytes given to `write`.
    public private(set) var uncompressedBytes: Int64 = 0
    /// Bytes handed to the sink.
    public private(set) var compressedBytes: Int64 = 0

    /// Starts `threads` workers (1 compresses on the calling thread) at `level` (1–9).
    public init(level: Int, threads: Int, blockSize: Int = BlockedGzip.defaultBlockSize,
                sink: @escaping (UnsafeRawBufferPointer) throws -> Void) throws {
        self.level = level
        self.blockSize = blockSize
        self.sink = sink
        let probe = try DeflateCompressor(level: level)  // validates the level before starting threads
        let bound = BlockedGzip.memberBound(blockSize: blockSize, compressor: probe)
        let threads = max(1, threads)
        let slotCount = threads == 1 ? 1 : threads + 2
        free = (0..<slotCount).map { _ in Slot(blockSize: blockSize, memberBound: bound) }
        if threads == 1 {
            inlineCompressor = CompressorHolder(probe)
        } else {
            inlineCompressor = nil
            for _ in 0..<threads { startWorker() }
        }
    }

    deinit { cancel() }

    /// Appends bytes to the stream; full blocks are compressed.
    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        var remaining = bytes
        uncompressedBytes += Int64(bytes.count)
        while !remaining.isEmpty {
            let slot = try filling ?? acquireSlot()
            filling = slot
            let take = min(blockSize - slot.inputCount, remaining.count)
            UnsafeMutableRawBufferPointer(rebasing: slot.input[slot.inputCount..<(slot.inputCount + take)])
                .copyMemory(from: UnsafeRawBufferPointer(rebasing: remaining[0..<take]))
            slot.inputCount += take
            remaining = UnsafeRawBufferPointer(rebasing: remaining[take...])
            if slot.inputCount == blockSize { try submitFilling() }
        }
    }

    /// Compresses the last partial block, writes every member, and stops the workers.
    public func finish() throws {
        if filling != nil { try submitFilling() }
        if compressedBytes == 0 && inFlight.isEmpty {
            // An empty stream is still one (empty) member, as gzip writes it.
            filling = try acquireSlot()
            try submitFilling()
        }
        while let slot = try oldestWhenDone(wait: true) { try emit(slot) }
        cancel()
    }

    /// Stops the workers without writing what is still queued (after an error; `finish` calls it too).
    public func cancel() {
        condition.lock()
        closing = true
        queue.removeAll()
        condition.broadcast()
        workers.waitUntilAllReturned()
        condition.unlock()
    }

    private func submitFilling() throws {
        guard let slot = filling else { return }
        filling = nil
        if let inlineCompressor {
            slot.outputCount = BlockedGzip.writeMember(for: UnsafeRawBufferPointer(rebasing: slot.input[0..<slot.inputCount]),
                                                       into: slot.output, compressor: inlineCompressor.compressor, level: level)
            try emit(slot)
            return
        }
        condition.lock()
        slot.done = false
        queue.append(slot)
        inFlight.append(slot)
        condition.signal()
        condition.unlock()
        // Write out whatever is already finished, in order, without waiting.
        while let done = try oldestWhenDone(wait: false) { try emit(done) }
    }

    /// A free slot, waiting for (and writing out) the oldest member when all are in use.
    private func acquireSlot() throws -> Slot {
        while true {
            condition.lock()
            if let slot = free.popLast() {
                condition.unlock()
                return slot
            }
            condition.unlock()
            guard let oldest = try oldestWhenDone(wait: true) else {
                throw SitepackError(.io, "the compression pipeline stopped unexpectedly")
            }
            try emit(oldest)
        }
    }

    /// Removes and returns the oldest in-flight slot once it is compressed (nil when none, or not yet done and `wait` is false).
    private func oldestWhenDone(wait: Bool) throws -> Slot? {
        condition.lock()
        defer { condition.unlock() }
        while let first = inFlight.first {
            if first.done { return inFlight.removeFirst() }
            if !wait || closing { return nil }
            condition.wait()
        }
        return nil
    }

    /// Hands a member to the sink and returns its slot to the pool.
    private func emit(_ slot: Slot) throws {
        compressedBytes += Int64(slot.outputCount)
        let member = UnsafeRawBufferPointer(rebasing: slot.output[0..<slot.outputCount])
        slot.inputCount = 0
        slot.outputCount = 0
        defer {
            condition.lock()
            free.append(slot)
            condition.unlock()
        }
        try sink(member)
    }

    private func startWorker() {
        let level = level
        workers.start { [self] in
            // The level was validated in init, so allocation fails only when memory is exhausted.
            guard let compressor = try? DeflateCompressor(level: level) else { fatalError("libdeflate: out of memory") }
            while true {
                condition.lock()
                while queue.isEmpty && !closing { condition.wait() }
                if queue.isEmpty {
                    condition.unlock()
                    return
                }
                let slot = queue.removeFirst()
                condition.unlock()
                let size = BlockedGzip.writeMember(for: UnsafeRawBufferPointer(rebasing: slot.input[0..<slot.inputCount]),
                                                   into: slot.output, compressor: compressor, level: level)
                condition.lock()
                slot.outputCount = size
                slot.done = true
                condition.broadcast()
                condition.unlock()
            }
        }
    }
}

/// A class box so a non-copyable compressor can live in an optional stored property.
private final class CompressorHolder {
    let compressor: DeflateCompressor
    init(_ compressor: consuming DeflateCompressor) { self.compressor = compressor }
}

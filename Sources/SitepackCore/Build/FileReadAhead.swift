#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import Crypto

/// Reads and hashes a site's files on worker threads ahead of the tar writer, handing them over in
/// archive order, so that opening, reading and SHA-256 of thousands of small files overlap with the
/// tar writer and the compressors instead of waiting for them.
///
/// Memory is bounded: at most ``window`` files and ``byteBudget`` bytes are read but not yet taken
/// (one file over the budget is read alone). Files larger than ``wholeFileLimit`` are not read ahead:
/// ``take(_:)`` answers `nil` and the caller streams them itself. Plain threads rather than tasks, as
/// for ``ParallelGzipWriter``: the consumer is synchronous and blocks for them.
///
/// `@unchecked Sendable`: `next`, `taken`, `reserved`, `closing` and the slots are only touched under
/// `condition`; a loaded buffer belongs to its worker until stored, then to the consumer.
final class FileReadAhead: @unchecked Sendable {
    /// One file read whole, and its SHA-256.
    struct Loaded {
        /// The file's bytes (owned by the taker, who deallocates them).
        var bytes: UnsafeMutableRawBufferPointer
        /// Its SHA-256.
        var digest: SHA256Digest
    }

    private enum Slot {
        case empty
        case loaded(Loaded)
        case streamed
        case failed(any Error)
    }

    /// Files read but not yet taken, at most.
    let window = 1024
    /// Bytes read but not yet taken, at most (besides one larger file alone).
    let byteBudget = 8 << 20
    /// Larger files are streamed by the caller.
    let wholeFileLimit: Int64 = 1 << 20

    private let entries: SiteEntries
    /// Indexes into `entries` of the regular files, in archive order.
    private let files: [Int32]
    private let workers = WorkerThreads()
    private var condition: NSCondition { workers.condition }
    private var slots: [Slot]
    private var next = 0
    private var taken = 0
    private var reserved = 0
    private var closing = false
    /// Who waits on `condition`, so that a hand-over wakes only a thread that waits for it: the file
    /// number the consumer waits for (-1: none), and how many readers wait for room.
    private var awaited = -1
    private var readersWaiting = 0
    /// No reader threads: ``take(_:)`` reads on the caller's thread.
    private let inline: Bool
    /// The caller's open folder when reading inline.
    private var inlineFolder: OpenFolder

    /// Starts `threads` readers (none when 1: ``take(_:)`` then reads on the caller's thread) over the
    /// regular files of `entries`.
    init(entries: SiteEntries, threads: Int) {
        self.entries = entries
        var files: [Int32] = []
        for index in entries.indices where entries.fileSize(at: index) != nil { files.append(Int32(index)) }
        self.files = files
        slots = Array(repeating: .empty, count: window)
        inline = threads <= 1
        inlineFolder = OpenFolder(root: entries.sourceRoot)
        if !inline {
            for _ in 0..<threads { startWorker() }
        }
    }

    deinit { cancel() }

    /// The `number`th regular file (0-based, archive order): its bytes and digest, or nil when it is over
    /// ``wholeFileLimit`` and the caller must stream it. Throws what reading it threw.
    func take(_ number: Int) throws -> Loaded? {
        if inline { return try load(number, folder: &inlineFolder) }
        condition.lock()
        defer { condition.unlock() }
        let index = number % window
        while true {
            switch slots[index] {
            case .empty:
                // Readers asleep for room get it now, whatever the batch (they may hold the file awaited).
                if readersWaiting > 0 { condition.broadcast() }
                awaited = number
                condition.wait()
                awaited = -1
                continue
            case .loaded(let loaded):
                slots[index] = .empty
                taken = number + 1
                reserved -= loaded.bytes.count
                wakeReaders(after: number)
                return loaded
            case .streamed:
                slots[index] = .empty
                taken = number + 1
                wakeReaders(after: number)
                return nil
            case .failed(let error):
                slots[index] = .empty
                taken = number + 1
                condition.broadcast()
                throw error
            }
        }
    }

    /// Wakes readers waiting for room once a batch of files has been taken, not after each one: a
    /// wake-up per file costs more than reading a small file.
    private func wakeReaders(after number: Int) {
        if readersWaiting > 0 && number % Self.wakeBatch == Self.wakeBatch - 1 { condition.broadcast() }
    }

    /// Files taken between two wake-ups of waiting readers.
    private static let wakeBatch = 64

    /// Stops the readers and frees what they read and nobody took.
    func cancel() {
        inlineFolder.close()
        condition.lock()
        closing = true
        condition.broadcast()
        workers.waitUntilAllReturned()
        for index in slots.indices {
            if case .loaded(let loaded) = slots[index] { loaded.bytes.deallocate() }
            slots[index] = .empty
        }
        condition.unlock()
    }

    private func startWorker() {
        workers.start { [self] in
            var folder = OpenFolder(root: entries.sourceRoot)
            defer { folder.close() }
            while let number = claim() {
                let slot: Slot
                do {
                    if let loaded = try load(number, folder: &folder) { slot = .loaded(loaded) } else { slot = .streamed }
                } catch {
                    slot = .failed(error)
                }
                condition.lock()
                if closing, case .loaded(let loaded) = slot { loaded.bytes.deallocate() } else { slots[number % window] = slot }
                if awaited == number { condition.broadcast() }
                condition.unlock()
            }
        }
    }

    /// The next file number for a reader, once the window and the budget have room for it; nil at the end.
    private func claim() -> Int? {
        condition.lock()
        defer { condition.unlock() }
        while !closing && next < files.count {
            let size = entries.fileSize(at: Int(files[next])) ?? 0
            let cost = size > wholeFileLimit ? 0 : Int(size)
            if next < taken + window && (reserved + cost <= byteBudget || reserved == 0) {
                reserved += cost
                next += 1
                return next - 1
            }
            readersWaiting += 1
            condition.wait()
            readersWaiting -= 1
        }
        return nil
    }

    /// Reads and hashes file `number` whole (nil when it is over ``wholeFileLimit``); fails when it cannot
    /// be read or its size is not the scanned one.
    private func load(_ number: Int, folder: inout OpenFolder) throws -> Loaded? {
        let index = Int(files[number])
        let size = entries.fileSize(at: index) ?? 0
        if size > wholeFileLimit { return nil }
        var fd = entries.withSourceLocation(at: index) { folder.open($1, in: $0) }
        if fd < 0 {
            // Opening relative to the folder failed: once more by the whole path, which throws the
            // build's message for it (or, if the file just became readable, reads it).
            let file = try Self.open(entries.sourcePath(at: index))
            fd = dup(file.rawValue)
            guard fd >= 0 else { throw SitepackError(.io, "cannot read \(entries.sourcePath(at: index)): out of file descriptors") }
        }
        defer { Glibc.close(fd) }
        // One byte more than expected, so a file that grew is caught by the same read; a regular file
        // reads short only at its end, so a short read needs no second one to find the end.
        let bytes = UnsafeMutableRawBufferPointer.allocate(byteCount: Int(size) + 1, alignment: 16)
        var count = 0
        while count <= Int(size) {
            let asked = Int(size) + 1 - count
            let got = Glibc.read(fd, bytes.baseAddress! + count, asked)
            if got > 0 {
                count += got
                if got < asked { break }
            } else if got == 0 {
                break
            } else if errno != EINTR {
                let code = errno
                bytes.deallocate()
                let path = entries.sourcePath(at: index)
                throw SitepackError(.io, "cannot read \(path): \(String(cString: strerror(code)))", underlying: SystemCallError("read", errno: code))
            }
        }
        guard count == Int(size) else {
            bytes.deallocate()
            throw Self.changedSize(entries.sourcePath(at: index))
        }
        let content = UnsafeMutableRawBufferPointer(rebasing: bytes[0..<count])
        var hasher = SHA256()
        hasher.update(bufferPointer: UnsafeRawBufferPointer(content))
        return Loaded(bytes: content, digest: hasher.finalize())
    }

    /// A folder of the site held open by one reader, so that the files in it are opened by name alone
    /// (`openat`) instead of walking the whole path for each; reopened when the next file lies elsewhere.
    struct OpenFolder {
        private let root: String
        private var relative: [UInt8] = []
        private var fd: Int32 = -1

        init(root: String) { self.root = root }

        /// A descriptor for reading `name` in the folder `folder` (relative to the root), or -1.
        mutating func open(_ name: UnsafeRawBufferPointer, in folder: UnsafeRawBufferPointer) -> Int32 {
            if fd < 0 || !relative.elementsEqual(folder) {
                close()
                let path = folder.isEmpty ? root : root + "/" + String(decoding: folder, as: UTF8.self)
                fd = Glibc.open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
                guard fd >= 0 else { return -1 }
                relative = Array(folder)
            }
            return withUnsafeTemporaryAllocation(of: CChar.self, capacity: name.count + 1) { terminated in
                UnsafeMutableRawBufferPointer(terminated).copyMemory(from: name)
                terminated[name.count] = 0
                return openat(fd, terminated.baseAddress!, O_RDONLY | O_CLOEXEC)
            }
        }

        /// Closes the folder held, if any.
        mutating func close() {
            if fd >= 0 { Glibc.close(fd) }
            fd = -1
        }
    }

    /// Opens a site file for reading, with the build's message when it is unreadable.
    static func open(_ path: String) throws -> OwnedFileDescriptor {
        do {
            return try OwnedFileDescriptor(path: path, flags: O_RDONLY)
        } catch let error as SitepackError {
            if let cause = error.underlying as? SystemCallError, cause.errno == EACCES {
                throw SitepackError(.unpackable, "cannot read \(path): permission denied; make it readable (chmod a+r) or exclude it with --exclude", underlying: cause)
            }
            throw error
        }
    }

    /// The error for a file whose size changed since the scan.
    static func changedSize(_ path: String) -> SitepackError {
        SitepackError(.unpackable, "\(path) changed size while it was being packed: build again once the site stops changing")
    }
}

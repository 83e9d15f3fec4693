#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// A file one thread is still downloading while another extracts from it: the writer publishes how
/// many bytes are on disk, readers wait for the bytes they need. The bytes go through the file (not
/// memory), so memory stays bounded whatever the extractor's pace.
///
/// `@unchecked Sendable`: every field is only touched under `condition`.
public final class GrowingFile: @unchecked Sendable {
    private let condition = NSCondition()
    private var written: Int64 = 0
    private var finished = false
    private var failure: (any Error)?
    private var cancelled = false

    /// A file with nothing written yet.
    public init() {}

    /// Called by the writer after `count` more bytes reached the file; throws once a reader cancelled.
    public func advance(by count: Int) throws {
        condition.lock()
        defer { condition.unlock() }
        if cancelled { throw SitepackError(.fetchStopped, "download stopped: the extraction it fed failed") }
        written += Int64(count)
        condition.broadcast()
    }

    /// Called by the writer at the very end, with its error when it failed.
    public func finish(error: (any Error)?) {
        condition.lock()
        finished = true
        failure = error
        condition.broadcast()
        condition.unlock()
    }

    /// Tells the writer to stop (the reader failed).
    public func cancel() {
        condition.lock()
        cancelled = true
        condition.unlock()
    }

    /// Waits until the file holds `end` bytes or the writer finished; returns how many bytes are there
    /// (less than `end` only at the end). Throws the writer's error if it failed.
    public func waitFor(_ end: Int64) throws -> Int64 {
        condition.lock()
        defer { condition.unlock() }
        while written < end && !finished { condition.wait() }
        if let failure { throw failure }
        return min(written, end)
    }

    /// Waits until the file holds more than `offset` bytes or the writer finished; returns everything
    /// written so far. Throws the writer's error if it failed.
    public func available(after offset: Int64) throws -> Int64 {
        condition.lock()
        defer { condition.unlock() }
        while written <= offset && !finished { condition.wait() }
        if let failure { throw failure }
        return written
    }

    /// Waits for the writer to finish; throws its error.
    public func waitUntilFinished() throws {
        condition.lock()
        defer { condition.unlock() }
        while !finished { condition.wait() }
        if let failure { throw failure }
    }
}

extension SitepackError.Code {
    /// A download stopped because the extraction reading it failed (the extraction's error is reported).
    public static let fetchStopped = SitepackError.Code("fetch.stopped")
}

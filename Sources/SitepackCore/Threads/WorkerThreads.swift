import Foundation

/// The plain threads an object starts for blocking work (not Swift's cooperative pool, which blocking
/// steps would starve) and later waits for, with the one `NSCondition` that guards both the count of
/// live workers and the owner's own state: the owner's stop is "set closing, broadcast,
/// ``waitUntilAllReturned()``" under that lock.
///
/// Used by the build's readers and compressors, the fetch's inflaters and file writers; ``spawn(_:)``
/// alone serves threads nobody counts (a one-off background job).
final class WorkerThreads: @unchecked Sendable {
    /// Stack size of every worker (enough for libdeflate and libarchive calls, far below the default 8 MiB).
    static let stackSize = 1 << 20

    /// The lock and condition of the owner's state, and of the count of live workers.
    let condition = NSCondition()
    /// Workers started and not yet returned; guarded by `condition`.
    private var live = 0

    /// Starts `body` on a new thread, counted live until it returns (take care not to hold `condition`
    /// when `body` returns).
    func start(_ body: @escaping @Sendable () -> Void) {
        condition.lock()
        live += 1
        condition.unlock()
        Self.spawn { [self] in
            body()
            condition.lock()
            live -= 1
            condition.broadcast()
            condition.unlock()
        }
    }

    /// Blocks until every worker has returned. The caller holds `condition` (waiting releases it).
    func waitUntilAllReturned() {
        while live > 0 { condition.wait() }
    }

    /// Runs `body` on a new thread of ``stackSize``, uncounted.
    static func spawn(_ body: @escaping @Sendable () -> Void) {
        let thread = Thread(block: body)
        thread.stackSize = stackSize
        thread.start()
    }
}

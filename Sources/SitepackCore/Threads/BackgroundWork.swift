import Foundation

/// Blocking work on a thread of its own (not Swift's cooperative pool, which blocking steps would
/// starve), whose result is collected once with ``wait()``: `verify` reads the gzip layer this way
/// while it reads the entries, and `check` verifies the artifact once fetched, while it runs and probes it.
final class BackgroundWork<Value: Sendable>: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)
    private var result: Result<Value, any Error>?
    private let lock = NSLock()
    private var work: (@Sendable () throws -> Value)?

    /// Prepares `work`, starting it now unless `deferred` (then ``start()`` or ``wait()`` starts it).
    init(deferred: Bool = false, _ work: @escaping @Sendable () throws -> Value) {
        self.work = work
        if !deferred { start() }
    }

    /// Starts the work on its thread, unless it has started already.
    func start() {
        guard let job = lock.withLock({ () -> (@Sendable () throws -> Value)? in
            defer { work = nil }
            return work
        }) else { return }
        WorkerThreads.spawn { [self] in
            result = Result { try job() }
            done.signal()
        }
    }

    /// Starts the work if needed, blocks until it ended and returns its result (once: the semaphore is consumed).
    func wait() -> Result<Value, any Error> {
        start()
        done.wait()
        return result!
    }
}

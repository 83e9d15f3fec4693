import Foundation

/// Blocking work on a thread of its own (not Swift's cooperative pool, which blocking steps would
/// starve), whose result is collected once with ``wait()``: `verify` reads the gzip layer this way
/// while it reads the entries, and `check` verifies the artifact while it serves, fetches and runs it.
final class BackgroundWork<Value: Sendable>: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)
    private var result: Result<Value, any Error>?

    /// Starts `work` now.
    init(_ work: @escaping @Sendable () throws -> Value) {
        let thread = Thread { [self] in
            result = Result { try work() }
            done.signal()
        }
        thread.stackSize = 1 << 20
        thread.start()
    }

    /// Blocks until the work ended and returns its result (once: the semaphore is consumed).
    func wait() -> Result<Value, any Error> {
        done.wait()
        return result!
    }
}

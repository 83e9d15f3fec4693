import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Holds the catalog's scanner just before it hashes an archive whose path contains `matching`, until
/// the test opens the gate: a scan that stays "in progress" for exactly as long as the test needs,
/// however fast or slow the machine. Open it before the server shuts down (the scan waits here).
final class HashGate: Sendable {
    let matching: String
    private let state = Mutex((open: false, arrivals: 0))

    init(matching: String) { self.matching = matching }

    /// The `beforeHashing` hook: blocks the scanner thread while the gate is closed.
    func pass(_ path: String) {
        guard path.contains(matching) else { return }
        state.withLock { $0.arrivals += 1 }
        while !state.withLock({ $0.open }) { usleep(1000) }
    }

    /// Whether a scan reached the gate.
    var arrived: Bool { state.withLock { $0.arrivals > 0 } }

    func open() { state.withLock { $0.open = true } }
}

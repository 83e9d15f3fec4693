#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import Synchronization

/// A one-line progress display on standard error (items, bytes, rate), redrawn at most ten times a
/// second. It draws nothing when disabled, so callers update it unconditionally.
public final class ProgressReporter: Sendable {
    private struct State {
        var items = 0
        var bytes: Int64 = 0
        var lastDraw: Double = 0
        var drewSomething = false
        var totalItems: Int?
        var totalBytes: Int64?
    }

    private let enabled: Bool
    private let label: String
    private let start: Double
    private let state = Mutex(State())

    /// Creates a reporter; it is enabled only when `enabled` is true and standard error is a terminal.
    public init(label: String, totalItems: Int? = nil, totalBytes: Int64? = nil, enabled: Bool) {
        self.enabled = enabled && Terminal.standardErrorIsTerminal
        self.label = label
        self.start = Self.now()
        state.withLock { state in
            state.totalItems = totalItems
            state.totalBytes = totalBytes
        }
    }

    /// Sets the totals once they are known (after a scan, or from a Content-Length).
    public func setTotals(items: Int? = nil, bytes: Int64? = nil) {
        state.withLock { state in
            if let items { state.totalItems = items }
            if let bytes { state.totalBytes = bytes }
        }
    }

    /// Adds finished items and bytes, redrawing if enough time has passed.
    public func advance(items: Int = 0, bytes: Int64 = 0) {
        guard enabled else { return }
        let line: String? = state.withLock { state in
            state.items += items
            state.bytes += bytes
            let now = Self.now()
            guard now - state.lastDraw >= 0.1 else { return nil }
            state.lastDraw = now
            state.drewSomething = true
            return render(state, now: now)
        }
        if let line { Terminal.writeStandardError("\r\u{1B}[K" + line) }
    }

    /// Clears the progress line.
    public func finish() {
        guard enabled else { return }
        let drew = state.withLock { $0.drewSomething }
        if drew { Terminal.writeStandardError("\r\u{1B}[K") }
    }

    private func render(_ state: State, now: Double) -> String {
        let elapsed = max(now - start, 0.001)
        var parts = [label]
        if let totalItems = state.totalItems { parts.append("\(state.items)/\(totalItems) files") } else if state.items > 0 { parts.append("\(state.items) files") }
        if let totalBytes = state.totalBytes, totalBytes > 0 {
            let percent = Int(Double(state.bytes) * 100 / Double(totalBytes))
            parts.append("\(ByteCount.format(state.bytes))/\(ByteCount.format(totalBytes)) (\(percent)%)")
        } else {
            parts.append(ByteCount.format(state.bytes))
        }
        parts.append("\(ByteCount.format(Int64(Double(state.bytes) / elapsed)))/s")
        return parts.joined(separator: "  ")
    }

    static func now() -> Double {
        Double(timespec.monotonicNanoseconds()) / 1e9
    }
}

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
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
    }
}

/// Human-readable byte counts and their parsing (`64M`, `100GB`, `4096`).
public enum ByteCount {
    /// Formats a byte count with a binary unit, e.g. `12.3 MiB`.
    public static func format(_ bytes: Int64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var value = Double(bytes)
        var unit = 0
        while value >= 1024, unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        return unit == 0 ? "\(bytes) B" : String(format: "%.1f %@", value, units[unit])
    }

    /// Parses a size such as `4096`, `64K`, `64KiB`, `10M`, `100GB` (K/M/G/T are powers of 1024; KB/MB/GB/TB of 1000).
    public static func parse(_ text: String) -> Int64? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let digits = trimmed.prefix { $0.isNumber }
        guard let number = Int64(digits) else { return nil }
        let suffix = trimmed.dropFirst(digits.count).trimmingCharacters(in: .whitespaces).uppercased()
        let multiplier: Int64
        switch suffix {
        case "", "B": multiplier = 1
        case "K", "KI", "KIB": multiplier = 1 << 10
        case "M", "MI", "MIB": multiplier = 1 << 20
        case "G", "GI", "GIB": multiplier = 1 << 30
        case "T", "TI", "TIB": multiplier = 1 << 40
        case "KB": multiplier = 1_000
        case "MB": multiplier = 1_000_000
        case "GB": multiplier = 1_000_000_000
        case "TB": multiplier = 1_000_000_000_000
        default: return nil
        }
        let (result, overflow) = number.multipliedReportingOverflow(by: multiplier)
        return overflow ? nil : result
    }
}

/// Durations as users type them on the command line.
public enum DurationText {
    /// Parses `30s`, `500ms`, `2m`, `1h`, `7d`, `2w` or a plain number of seconds; nil for anything else or a negative value.
    public static func parse(_ text: String) -> Duration? {
        let units: [(String, Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600), ("d", 86_400), ("w", 604_800)]
        for (suffix, scale) in units where text.hasSuffix(suffix) {
            guard let value = Double(text.dropLast(suffix.count)), value >= 0, value.isFinite else { return nil }
            return .milliseconds(Int64((value * scale * 1000).rounded()))
        }
        guard let value = Double(text), value >= 0, value.isFinite else { return nil }
        return .milliseconds(Int64((value * 1000).rounded()))
    }

    /// Whole seconds, rounded up (a positive duration is at least 1 s).
    public static func wholeSeconds(_ duration: Duration) -> Int {
        let (seconds, attoseconds) = duration.components
        return Int(seconds) + (attoseconds > 0 ? 1 : 0)
    }
}

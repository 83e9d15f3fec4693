#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One finished request, as the access log records it.
struct AccessLogEntry {
    var remote: String
    var method: String
    var target: String
    var version: String
    var status: Int
    var bytes: Int64
    var nanoseconds: UInt64
    var referer: String?
    var userAgent: String?
}

/// An event loop's access log: lines are gathered in memory and written to standard error in one
/// `write` when 16 KiB have piled up or 100 ms after the first, so logging costs no syscall a request.
final class AccessLogBuffer {
    private let format: AccessLogFormat
    private var pending: [UInt8] = []
    private var flushScheduled = false
    private var cachedSecond: Int64 = -1
    private var cachedTime = ""

    /// False for `--access-log off`: callers skip building entries.
    var isEnabled: Bool { format != .off }

    init(format: AccessLogFormat) {
        self.format = format
        pending.reserveCapacity(format == .off ? 0 : 16 * 1024)
    }

    /// Appends a line; returns true when the caller should schedule ``flush()`` soon.
    func append(_ entry: AccessLogEntry) -> Bool {
        switch format {
        case .off: return false
        case .combined:
            let line = "\(entry.remote) - - [\(localTime())] \"\(Self.escapeQuoted("\(entry.method) \(entry.target) \(entry.version)"))\" \(entry.status) \(entry.bytes) \"\(Self.escapeQuoted(entry.referer ?? "-"))\" \"\(Self.escapeQuoted(entry.userAgent ?? "-"))\"\n"
            pending.append(contentsOf: line.utf8)
        case .json:
            var line = "{\"time\":\"\(isoTime())\",\"remote\":\(Self.json(entry.remote)),\"method\":\(Self.json(entry.method))"
            line += ",\"target\":\(Self.json(entry.target)),\"protocol\":\(Self.json(entry.version)),\"status\":\(entry.status)"
            line += ",\"bytes\":\(entry.bytes),\"duration_ms\":\(Double(entry.nanoseconds / 1000) / 1000)"
            line += ",\"referer\":\(entry.referer.map(Self.json) ?? "null"),\"user_agent\":\(entry.userAgent.map(Self.json) ?? "null")}\n"
            pending.append(contentsOf: line.utf8)
        }
        if pending.count >= 16 * 1024 { flush(); return false }
        if flushScheduled { return false }
        flushScheduled = true
        return true
    }

    /// Writes what is pending to standard error.
    func flush() {
        flushScheduled = false
        guard !pending.isEmpty else { return }
        pending.withUnsafeBytes { bytes in
            var offset = 0
            while offset < bytes.count {
                let written = write(2, bytes.baseAddress! + offset, bytes.count - offset)
                if written < 0 { if errno == EINTR { continue }; break }
                offset += written
            }
        }
        pending.removeAll(keepingCapacity: true)
    }

    private func localTime() -> String {
        refreshTime()
        return cachedTime
    }

    private func isoTime() -> String {
        var now = time(nil)
        var parts = tm()
        gmtime_r(&now, &parts)
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday))T\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec))Z"
    }

    private func refreshTime() {
        var now = time(nil)
        guard Int64(now) != cachedSecond else { return }
        cachedSecond = Int64(now)
        var parts = tm()
        gmtime_r(&now, &parts)
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        cachedTime = "\(two(parts.tm_mday))/\(months[Int(parts.tm_mon)])/\(parts.tm_year + 1900):\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec)) +0000"
    }

    /// Escapes `"`, `\` and control bytes so a client cannot forge log lines.
    static func escapeQuoted(_ text: String) -> String {
        guard text.utf8.contains(where: { $0 < 0x20 || $0 == 0x22 || $0 == 0x5c || $0 == 0x7f }) else { return text }
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7f {
                    out += "\\x" + (scalar.value < 16 ? "0" : "") + String(scalar.value, radix: 16)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out
    }

    /// A JSON string literal.
    static func json(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    out += "\\u00" + (scalar.value < 16 ? "0" : "") + String(scalar.value, radix: 16)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}

import Foundation

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

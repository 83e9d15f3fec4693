#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// HTTP dates (RFC 9110 §5.6.7): IMF-fixdate out, all three historic forms in.
public enum HTTPDate {
    private static let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// Formats seconds since the epoch as `Sun, 06 Nov 1994 08:49:37 GMT`.
    public static func format(_ seconds: Int64) -> String {
        var time = time_t(seconds)
        var parts = tm()
        gmtime_r(&time, &parts)
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        let weekday = days[Int(parts.tm_wday) % 7]
        let month = months[Int(parts.tm_mon) % 12]
        let year = parts.tm_year + 1900
        return "\(weekday), \(two(parts.tm_mday)) \(month) \(year) \(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec)) GMT"
    }

    /// Parses an HTTP date (IMF-fixdate, RFC 850 or asctime) to seconds since the epoch; `nil` when invalid
    /// (years outside 1970…9999 included: HTTP dates have four-digit years, and a longer one overflowed the arithmetic).
    public static func parse(_ text: String) -> Int64? {
        let tokens = text.split(whereSeparator: { $0 == " " || $0 == "," || $0 == ":" || $0 == "-" })
        var day = 0, month = 0, year = 0, hour = 0, minute = 0, second = 0
        func number(_ token: Substring) -> Int? { token.utf8.allSatisfy { $0 >= 48 && $0 <= 57 } ? Int(token) : nil }
        func monthNumber(_ token: Substring) -> Int? { months.firstIndex(of: String(token)).map { $0 + 1 } }
        if tokens.count == 8, tokens[7] == "GMT", let d = number(tokens[1]), let m = monthNumber(tokens[2]), let y = number(tokens[3]),
           let h = number(tokens[4]), let mi = number(tokens[5]), let s = number(tokens[6]) {
            // IMF-fixdate or RFC 850 (two-digit year: RFC 9110 says interpret within 50 years; 19xx/20xx split at 70).
            day = d; month = m; hour = h; minute = mi; second = s
            year = tokens[3].count == 2 ? (y < 70 ? 2000 + y : 1900 + y) : y
        } else if tokens.count == 7, let m = monthNumber(tokens[1]), let d = number(tokens[2]), let h = number(tokens[3]),
                  let mi = number(tokens[4]), let s = number(tokens[5]), let y = number(tokens[6]) {
            day = d; month = m; year = y; hour = h; minute = mi; second = s
        } else {
            return nil
        }
        guard (1...31).contains(day), (0...23).contains(hour), (0...59).contains(minute), (0...60).contains(second), (1970...9999).contains(year) else { return nil }
        // Days from the civil date (Howard Hinnant's algorithm).
        let y = month <= 2 ? year - 1 : year
        let era = y / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        let days = era * 146_097 + dayOfEra - 719_468
        return Int64(days) * 86_400 + Int64(hour * 3600 + minute * 60 + second)
    }
}

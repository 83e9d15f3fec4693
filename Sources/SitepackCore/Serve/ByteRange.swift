/// The outcome of reading a `Range` header against a representation of known length (RFC 9110 §14).
public enum ByteRangeRequest: Sendable, Equatable {
    /// No usable Range: send the whole representation (also for invalid syntax, other units and multiple ranges).
    case whole
    /// One satisfiable range, as offsets `lower..<upper` into the representation.
    case partial(Range<Int64>)
    /// Syntactically valid but no byte of it exists: answer 416 with `Content-Range: bytes */<length>`.
    case unsatisfiable

    /// Interprets a `Range` header value (`bytes=0-99`, `bytes=100-`, `bytes=-100`) for `length` bytes.
    ///
    /// Multiple ranges are answered with the whole representation, which RFC 9110 allows; an invalid
    /// range-spec (such as `bytes=100-50`) makes the header invalid, so it is ignored.
    public init(header: String, length: Int64) {
        let value = header.utf8
        guard value.count > 6 else { self = .whole; return }
        let unit = header.prefix(6).lowercased()
        guard unit == "bytes=" else { self = .whole; return }
        let spec = header.dropFirst(6).trimmingSpaces
        guard !spec.isEmpty, !spec.contains(",") else { self = .whole; return }
        guard let dash = spec.firstIndex(of: "-") else { self = .whole; return }
        let first = spec[..<dash].trimmingSpaces
        let last = spec[spec.index(after: dash)...].trimmingSpaces
        if first.isEmpty {
            guard let suffix = Self.digits(last) else { self = .whole; return }
            guard suffix > 0, length > 0 else { self = .unsatisfiable; return }
            self = .partial(max(0, length - suffix)..<length)
            return
        }
        guard let start = Self.digits(first) else { self = .whole; return }
        var end: Int64 = .max
        if !last.isEmpty {
            guard let parsed = Self.digits(last) else { self = .whole; return }
            guard parsed >= start else { self = .whole; return }
            end = parsed
        }
        guard start < length else { self = .unsatisfiable; return }
        self = .partial(start..<(min(end, length - 1) + 1))
    }

    /// A non-negative decimal without sign; `nil` for anything else, including overflow.
    private static func digits(_ text: Substring) -> Int64? {
        guard !text.isEmpty, text.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }) else { return nil }
        guard text.utf8.count <= 18 else {
            // Longer than any file can be: treat as "beyond the end", still a valid number.
            return text.utf8.drop(while: { $0 == 48 }).count <= 18 ? Int64(text.drop(while: { $0 == "0" })) ?? 0 : Int64.max
        }
        return Int64(text)
    }
}

extension StringProtocol {
    /// The text without leading and trailing spaces and tabs (HTTP's OWS).
    var trimmingSpaces: Substring {
        let trimmed = self.drop(while: { $0 == " " || $0 == "\t" })
        var end = trimmed.endIndex
        while end > trimmed.startIndex {
            let before = trimmed.index(before: end)
            guard trimmed[before] == " " || trimmed[before] == "\t" else { break }
            end = before
        }
        return Substring(trimmed[trimmed.startIndex..<end])
    }
}

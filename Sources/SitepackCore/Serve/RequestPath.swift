/// A request target reduced to safe path segments, or the reason it was refused.
///
/// The target is percent-decoded exactly once and then split; nothing is string-sanitised. Any `..` or
/// `.` segment, NUL, backslash, encoded `/`, malformed escape or non-origin-form target is refused, so
/// no later step has to guess what the client meant.
public struct RequestPath: Sendable, Equatable {
    /// The decoded segments, empty ones (from `//`) dropped.
    public var segments: [String]
    /// Whether the path ended in `/` (a directory request).
    public var trailingSlash: Bool
    /// The raw query string after `?`, if any (kept for redirects, ignored for lookup).
    public var query: String?

    /// Why a target was refused.
    public enum Rejection: Error, Sendable, Equatable {
        /// Not origin-form (`http://…`, `*`, empty).
        case notOriginForm
        /// A `%` not followed by two hex digits.
        case malformedEscape
        /// `%2F` (an encoded slash) — ambiguous, so refused.
        case encodedSlash
        /// A NUL byte (raw or `%00`).
        case nul
        /// A backslash (raw or `%5C`).
        case backslash
        /// A `.` or `..` segment.
        case dotSegment
        /// Bytes that are not UTF-8 after decoding.
        case notUTF8
        /// A control character (CR, LF, …) after decoding: never a file name we serve, and never echoed into a header.
        case controlCharacter
    }

    /// Parses an origin-form request target (`/a/b?q`).
    public init(target: String) throws(Rejection) {
        var bytes = Array(target.utf8)
        var query: String?
        if let mark = bytes.firstIndex(of: UInt8(ascii: "?")) {
            query = String(decoding: bytes[(mark + 1)...], as: UTF8.self)
            bytes.removeSubrange(mark...)
        }
        // A fragment never reaches a server; if one does, it is not part of the path.
        if let hash = bytes.firstIndex(of: UInt8(ascii: "#")) { bytes.removeSubrange(hash...) }
        guard bytes.first == UInt8(ascii: "/") else { throw .notOriginForm }

        var segments: [String] = []
        var current: [UInt8] = []
        func finishSegment() throws(Rejection) {
            defer { current.removeAll(keepingCapacity: true) }
            if current.isEmpty { return }
            if current == [0x2e] || current == [0x2e, 0x2e] { throw .dotSegment }
            guard let text = String(validating: current, as: UTF8.self) else { throw .notUTF8 }
            segments.append(text)
        }
        var index = 0
        while index < bytes.count {
            var byte = bytes[index]
            if byte == UInt8(ascii: "/") {
                try finishSegment()
                index += 1
                continue
            }
            if byte == UInt8(ascii: "%") {
                guard index + 2 < bytes.count, let high = Self.hexValue(bytes[index + 1]), let low = Self.hexValue(bytes[index + 2]) else {
                    throw .malformedEscape
                }
                byte = high << 4 | low
                if byte == UInt8(ascii: "/") { throw .encodedSlash }
                index += 3
            } else {
                index += 1
            }
            if byte == 0 { throw .nul }
            if byte == UInt8(ascii: "\\") { throw .backslash }
            if byte < 0x20 || byte == 0x7f { throw .controlCharacter }
            current.append(byte)
        }
        let trailing = bytes.last == UInt8(ascii: "/")
        try finishSegment()
        self.segments = segments
        self.trailingSlash = trailing && !segments.isEmpty
        self.query = query
    }

    /// Whether any segment names a dotfile or dot-folder (never served).
    public var hasHiddenSegment: Bool { segments.contains { $0.utf8.first == UInt8(ascii: ".") } }

    /// The path relative to the served folder, `a/b/c` (empty for `/`).
    public var relativePath: String { segments.joined(separator: "/") }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}

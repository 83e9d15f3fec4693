/// What a GET or HEAD for an existing representation should answer after RFC 9110 §13.2.2's precondition
/// order and §14's Range rules.
public enum ConditionalOutcome: Sendable, Equatable {
    /// 200 with the whole representation.
    case whole
    /// 206 with this slice.
    case partial(Range<Int64>)
    /// 304 Not Modified.
    case notModified
    /// 412 Precondition Failed.
    case preconditionFailed
    /// 416 Range Not Satisfiable.
    case unsatisfiable

    /// The request header values that decide the outcome.
    public struct Request: Sendable {
        /// True for GET (ranges apply), false for HEAD (ranges are ignored, RFC 9110 §14.2).
        public var isGet: Bool
        public var ifMatch: String?
        public var ifNoneMatch: String?
        public var ifModifiedSince: String?
        public var ifUnmodifiedSince: String?
        public var ifRange: String?
        public var range: String?

        /// Creates a request description; every header is optional.
        public init(isGet: Bool, ifMatch: String? = nil, ifNoneMatch: String? = nil, ifModifiedSince: String? = nil,
                    ifUnmodifiedSince: String? = nil, ifRange: String? = nil, range: String? = nil) {
            self.isGet = isGet
            self.ifMatch = ifMatch
            self.ifNoneMatch = ifNoneMatch
            self.ifModifiedSince = ifModifiedSince
            self.ifUnmodifiedSince = ifUnmodifiedSince
            self.ifRange = ifRange
            self.range = range
        }
    }

    /// Evaluates `request` against a representation with a strong `etag` (quoted), `lastModified` seconds and `length`.
    public init(request: Request, etag: String, lastModified: Int64, length: Int64) {
        if let ifMatch = request.ifMatch {
            if !EntityTagList(ifMatch).matches(etag, strong: true) { self = .preconditionFailed; return }
        } else if let text = request.ifUnmodifiedSince, let date = HTTPDate.parse(text), lastModified > date {
            self = .preconditionFailed
            return
        }
        if let ifNoneMatch = request.ifNoneMatch {
            if EntityTagList(ifNoneMatch).matches(etag, strong: false) { self = .notModified; return }
        } else if let text = request.ifModifiedSince, let date = HTTPDate.parse(text), lastModified <= date {
            self = .notModified
            return
        }
        guard request.isGet, let range = request.range else { self = .whole; return }
        if let ifRange = request.ifRange?.trimmingSpaces {
            if ifRange.hasPrefix("\"") || ifRange.hasPrefix("W/") {
                // Strong comparison: a weak validator never matches (RFC 9110 §13.1.5).
                guard ifRange == etag else { self = .whole; return }
            } else {
                guard let date = HTTPDate.parse(String(ifRange)), date == lastModified else { self = .whole; return }
            }
        }
        switch ByteRangeRequest(header: range, length: length) {
        case .whole: self = .whole
        case .partial(let slice): self = .partial(slice)
        case .unsatisfiable: self = .unsatisfiable
        }
    }
}

/// A parsed `If-Match`/`If-None-Match` value: `*` or a list of entity tags.
struct EntityTagList {
    private var any = false
    private var tags: [(weak: Bool, opaque: Substring)] = []

    init(_ header: String) {
        if header.trimmingSpaces == "*" { any = true; return }
        var rest = Substring(header)
        while true {
            rest = rest.drop(while: { $0 == " " || $0 == "\t" || $0 == "," })
            if rest.isEmpty { break }
            var weak = false
            if rest.hasPrefix("W/") { weak = true; rest = rest.dropFirst(2) }
            guard rest.first == "\"" else { break }
            let body = rest.dropFirst()
            guard let close = body.firstIndex(of: "\"") else { break }
            tags.append((weak, rest[rest.startIndex...close]))
            rest = body[body.index(after: close)...]
        }
    }

    /// Whether `etag` (a strong, quoted tag) is in the list under strong or weak comparison.
    func matches(_ etag: String, strong: Bool) -> Bool {
        if any { return true }
        return tags.contains { tag in (!strong || !tag.weak) && tag.opaque == etag }
    }
}

/// `--constraint ATTR:VALUE`: the offer's agent must have attribute ATTR matching VALUE.
///
/// Matching follows the attribute's type:
/// - TEXT: equal to VALUE, or VALUE is one of its comma-separated items (`pod:demo` matches the
///   TEXT `demo,dev` an agent started with `--attributes=pod:demo,dev` offers);
/// - SCALAR: VALUE is the same number (Mesos's three-decimal fixed point);
/// - RANGES: VALUE is an integer inside one of the ranges, or a range `a-b` inside one;
/// - SET: VALUE is one of the items (or every item of a comma list is).
/// When the agent has several attributes of that name, any one matching is enough.
public struct AttributeConstraint: Sendable, Equatable, CustomStringConvertible {
    /// The attribute's name.
    public var attribute: String
    /// The wanted value, as typed.
    public var value: String

    /// Creates a constraint.
    public init(attribute: String, value: String) {
        self.attribute = attribute
        self.value = value
    }

    /// Parses `ATTR:VALUE`, split at the first colon as Mesos splits `--attributes` pairs.
    public init(parsing text: String) throws {
        guard let colon = text.firstIndex(of: ":") else {
            throw SitepackError(.taskArgumentRefused, "--constraint \(text): expected ATTR:VALUE, e.g. rack:r2d2")
        }
        let attribute = String(text[..<colon])
        let value = String(text[text.index(after: colon)...]).filter { $0 != " " }
        guard !attribute.isEmpty, !value.isEmpty else {
            throw SitepackError(.taskArgumentRefused, "--constraint \(text): both the attribute name and the value must be non-empty (ATTR:VALUE)")
        }
        self.init(attribute: attribute, value: value)
    }

    /// `rack:r2d2`.
    public var description: String { "\(attribute):\(value)" }

    /// Why `attributes` do not satisfy this constraint, or nil when they do.
    public func mismatch(in attributes: [OfferAttribute]) -> String? {
        let candidates = attributes.filter { $0.name == attribute }
        guard !candidates.isEmpty else {
            return "no attribute \(attribute) (wanted \(description))"
        }
        if candidates.contains(where: matches) { return nil }
        let found = candidates.map { "\($0.valueDescription)" }.joined(separator: ", ")
        return "attribute \(attribute) is \(found), not \(value)"
    }

    /// Whether one attribute matches.
    public func matches(_ candidate: OfferAttribute) -> Bool {
        guard candidate.name == attribute else { return false }
        switch candidate.value {
        case .text(let text):
            // Mesos strips spaces from attribute values when it parses --attributes.
            return text == value || text.split(separator: ",").contains { $0 == value }
        case .scalar(let number):
            guard let wanted = Double(value) else { return false }
            return ScalarQuantity.milli(number) == ScalarQuantity.milli(wanted)
        case .ranges(let ranges):
            guard let wanted = Self.range(value) else { return false }
            return ranges.contains { $0.begin <= wanted.begin && wanted.end <= $0.end }
        case .set(let items):
            let wanted = value.trimmingBraces.split(separator: ",").map(String.init)
            return !wanted.isEmpty && wanted.allSatisfy(items.contains)
        }
    }

    /// `31000` or `31000-31005` or `[31000-31005]` as a range.
    static func range(_ text: String) -> ValueRange? {
        let inner = text.hasPrefix("[") && text.hasSuffix("]") ? String(text.dropFirst().dropLast()) : text
        let parts = inner.split(separator: "-", omittingEmptySubsequences: false)
        switch parts.count {
        case 1:
            guard let single = UInt64(parts[0]) else { return nil }
            return ValueRange(begin: single, end: single)
        case 2:
            guard let begin = UInt64(parts[0]), let end = UInt64(parts[1]), begin <= end else { return nil }
            return ValueRange(begin: begin, end: end)
        default:
            return nil
        }
    }
}

extension String {
    /// `{a,b}` → `a,b`; anything else unchanged.
    fileprivate var trimmingBraces: String {
        hasPrefix("{") && hasSuffix("}") ? String(dropFirst().dropLast()) : self
    }
}

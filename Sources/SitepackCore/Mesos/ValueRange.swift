/// A closed range of a `Value.Ranges` (`begin` and `end` included).
public struct ValueRange: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The first value in the range.
    public var begin: UInt64
    /// The last value in the range.
    public var end: UInt64

    /// Creates a range.
    public init(begin: UInt64, end: UInt64) {
        self.begin = begin
        self.end = end
    }

    /// Whether `value` lies in the range.
    public func contains(_ value: UInt64) -> Bool { begin <= value && value <= end }

    public static func < (lhs: ValueRange, rhs: ValueRange) -> Bool {
        (lhs.begin, lhs.end) < (rhs.begin, rhs.end)
    }

    /// `9000-10000`, as Mesos prints a range.
    public var description: String { "\(begin)-\(end)" }

    /// `[9000-10000, 31000-32000]`, as Mesos prints ranges.
    public static func describe(_ ranges: [ValueRange]) -> String {
        "[" + ranges.sorted().map(\.description).joined(separator: ", ") + "]"
    }
}

/// One `Resource` of an offer (mesos.proto `Resource`): its name, its amount, and every other
/// member kept verbatim so a resource carved from it carries the same `role`, `allocation_info`,
/// `reservation(s)` and `provider_id` (mesos.md §4.2).
public struct OfferedResource: Sendable, Equatable {
    /// `cpus`, `mem`, `disk`, `ports`, …
    public var name: String
    /// The `Value.Type` name: `SCALAR`, `RANGES`, `SET` or `TEXT`.
    public var type: String
    /// The amount of a SCALAR resource.
    public var scalar: Double?
    /// The ranges of a RANGES resource (`ports`).
    public var ranges: [ValueRange]?
    /// The items of a SET resource.
    public var set: [String]?
    /// Every member except `name`, `type`, `scalar`, `ranges`, `set` and `text`, as offered.
    public var metadata: [String: JSONValue]

    /// Creates a resource.
    public init(name: String, type: String, scalar: Double? = nil, ranges: [ValueRange]? = nil, set: [String]? = nil, metadata: [String: JSONValue] = [:]) {
        self.name = name
        self.type = type
        self.scalar = scalar
        self.ranges = ranges
        self.set = set
        self.metadata = metadata
    }

    /// Whether a task may take part of this resource. Persistent volumes and mount disks
    /// (`disk`), shared resources (used whole) and revocable resources (can vanish under a
    /// long-running site) are left alone.
    public var isCarvable: Bool {
        metadata["disk"] == nil && metadata["shared"] == nil && metadata["revocable"] == nil
    }

    /// The role this resource is reserved for (`reservations` last entry, or the old `role`),
    /// or `*` when unreserved; used only to describe an offer.
    public var reservationRole: String {
        if let last = metadata["reservations"]?.arrayValue?.last, let role = last["role"]?.stringValue {
            return role
        }
        return metadata["role"]?.stringValue ?? "*"
    }

    /// This resource's metadata with a new SCALAR amount, as Mesos JSON.
    func carved(scalar milli: Int64) -> JSONValue {
        var members = metadata
        members["name"] = .string(name)
        members["type"] = .string("SCALAR")
        members["scalar"] = .object(["value": ScalarQuantity.json(milli: milli)])
        return .object(members)
    }

    /// This resource's metadata with a single port as its range, as Mesos JSON.
    func carved(port: UInt64) -> JSONValue {
        var members = metadata
        members["name"] = .string(name)
        members["type"] = .string("RANGES")
        let range = JSONValue.object(["begin": .integer(Int64(port)), "end": .integer(Int64(port))])
        members["ranges"] = .object(["range": .array([range])])
        return .object(members)
    }
}

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

/// Mesos keeps scalars as fixed point with three decimals (values.cpp `convertToFixed`);
/// sitepack does its resource arithmetic the same way so 0.1 + 0.2 is exactly 0.3.
public enum ScalarQuantity {
    /// The value in thousandths, rounded half away from zero like `std::llround`.
    public static func milli(_ value: Double) -> Int64 {
        Int64((value * 1000).rounded(.toNearestOrAwayFromZero))
    }

    /// Thousandths back to a Double with at most three decimals.
    public static func value(milli: Int64) -> Double {
        Double(milli / 1000) + Double(milli % 1000) / 1000
    }

    /// The JSON number for an amount: an integer when whole (`100`), otherwise a decimal (`0.2`).
    static func json(milli: Int64) -> JSONValue {
        milli % 1000 == 0 ? .integer(milli / 1000) : .number(value(milli: milli))
    }

    /// `0.2`, `100`, `4930` — the amount as a person writes it (no exponent, no trailing zeros).
    public static func text(milli: Int64) -> String {
        let sign = milli < 0 ? "-" : ""
        let magnitude = milli.magnitude
        var fraction = String(magnitude % 1000)
        while fraction.count < 3 { fraction = "0" + fraction }
        while fraction.hasSuffix("0") { fraction.removeLast() }
        return sign + String(magnitude / 1000) + (fraction.isEmpty ? "" : "." + fraction)
    }
}

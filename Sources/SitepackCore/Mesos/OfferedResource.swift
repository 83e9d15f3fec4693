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
    public var metadata: [String: MesosJSON]

    /// Creates a resource.
    public init(name: String, type: String, scalar: Double? = nil, ranges: [ValueRange]? = nil, set: [String]? = nil, metadata: [String: MesosJSON] = [:]) {
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
    func carved(scalar milli: Int64) -> MesosJSON {
        var members = metadata
        members["name"] = .string(name)
        members["type"] = .string("SCALAR")
        members["scalar"] = .object(["value": ScalarQuantity.json(milli: milli)])
        return .object(members)
    }

    /// This resource's metadata with a single port as its range, as Mesos JSON.
    func carved(port: UInt64) -> MesosJSON {
        var members = metadata
        members["name"] = .string(name)
        members["type"] = .string("RANGES")
        let range = MesosJSON.object(["begin": .integer(Int64(port)), "end": .integer(Int64(port))])
        members["ranges"] = .object(["range": .array([range])])
        return .object(members)
    }
}

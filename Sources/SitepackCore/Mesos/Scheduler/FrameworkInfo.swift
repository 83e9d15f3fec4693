/// The `FrameworkInfo` sitepack subscribes with (mesos.proto, mesos.md §3.5 item 1, §4).
public struct FrameworkInfo: Sendable, Equatable {
    /// `user` (required; with the HTTP API it must be set explicitly): whom tasks run as.
    public var user: String
    /// `name` (required).
    public var name: String
    /// `roles` (with the MULTI_ROLE capability); empty means the default role `*`.
    public var roles: [String]
    /// `principal`, the `--principal` that authenticates the framework.
    public var principal: String?
    /// `failover_timeout` in seconds: how long the master keeps the tasks when the framework disconnects.
    public var failoverTimeoutSeconds: Double
    /// `id`: set when resubscribing (also given as the call's `framework_id`).
    public var id: String?

    /// Creates a framework info.
    public init(user: String, name: String, roles: [String] = [], principal: String? = nil,
                failoverTimeoutSeconds: Double = 7 * 24 * 3600, id: String? = nil) {
        self.user = user
        self.name = name
        self.roles = roles
        self.principal = principal
        self.failoverTimeoutSeconds = failoverTimeoutSeconds
        self.id = id
    }

    /// The roles offers come for: the given ones, or `*`.
    public var effectiveRoles: [String] { roles.isEmpty ? ["*"] : roles }

    /// Mesos JSON: `checkpoint` so tasks survive an agent restart, MULTI_ROLE so offers carry
    /// `allocation_info` (copied into the task's resources).
    var json: MesosJSON {
        var members: [String: MesosJSON] = [
            "user": .string(user),
            "name": .string(name),
            "roles": .array(effectiveRoles.map(MesosJSON.string)),
            "capabilities": .array([.object(["type": .string("MULTI_ROLE")])]),
            "failover_timeout": .number(failoverTimeoutSeconds),
            "checkpoint": .bool(true),
        ]
        if let principal { members["principal"] = .string(principal) }
        if let id { members["id"] = .object(["value": .string(id)]) }
        return .object(members)
    }
}

/// The parts of a Mesos `Offer` (mesos.proto, mesos.md §4.1) that placing a task needs.
public struct Offer: Sendable, Equatable {
    /// `id.value`, e.g. `5c1a…-O42`.
    public var id: String
    /// `framework_id.value`: the framework the offer was made to.
    public var frameworkID: String
    /// `agent_id.value`: the agent the task will run on.
    public var agentID: String
    /// The agent's hostname.
    public var hostname: String
    /// `allocation_info.role`: present only in offers to MULTI_ROLE frameworks.
    public var allocationRole: String?
    /// The offered resources, in offer order.
    public var resources: [OfferedResource]
    /// The agent's attributes (`--attributes` on the agent).
    public var attributes: [OfferAttribute]

    /// Creates an offer.
    public init(
        id: String,
        frameworkID: String,
        agentID: String,
        hostname: String,
        allocationRole: String? = nil,
        resources: [OfferedResource],
        attributes: [OfferAttribute] = []
    ) {
        self.id = id
        self.frameworkID = frameworkID
        self.agentID = agentID
        self.hostname = hostname
        self.allocationRole = allocationRole
        self.resources = resources
        self.attributes = attributes
    }
}

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

/// An agent attribute (mesos.proto `Attribute`): a name and a typed value.
///
/// An agent started with `--attributes='rack:r2d2;pod:demo,dev'` offers `rack` as TEXT `r2d2`
/// and `pod` as TEXT `demo,dev`: Mesos's value parser only makes a SET from `{…}`, and an
/// attribute may not be a SET at all (see docs/task.md).
public struct OfferAttribute: Sendable, Equatable {
    /// The attribute's name.
    public var name: String
    /// The value as the offer typed it.
    public var value: Value

    /// A typed attribute value.
    public enum Value: Sendable, Equatable {
        /// A number (`Value.Scalar`).
        case scalar(Double)
        /// Ranges of integers (`Value.Ranges`).
        case ranges([ValueRange])
        /// A set of strings (`Value.Set`); agents never produce it, but JSON may.
        case set([String])
        /// Free text (`Value.Text`).
        case text(String)
    }

    /// Creates an attribute.
    public init(name: String, value: Value) {
        self.name = name
        self.value = value
    }

    /// The value as Mesos prints it: `r2d2`, `3`, `[1-4]`, `{a, b}`.
    public var valueDescription: String {
        switch value {
        case .scalar(let number): return ScalarQuantity.text(milli: ScalarQuantity.milli(number))
        case .ranges(let ranges): return ValueRange.describe(ranges)
        case .set(let items): return "{" + items.joined(separator: ", ") + "}"
        case .text(let text): return text
        }
    }
}

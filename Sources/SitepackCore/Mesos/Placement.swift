/// Where a task goes: the offer, the port taken, and the resources carved from the offer.
public struct Placement: Sendable, Equatable {
    /// The chosen offer.
    public var offer: Offer
    /// The one port taken from the offered `ports` ranges.
    public var port: UInt64
    /// `cpus`, `mem`, (`disk`,) `ports` in Mesos JSON, each copying the role, allocation info and
    /// reservations of the offered resource it was carved from.
    public var resources: [MesosJSON]
}

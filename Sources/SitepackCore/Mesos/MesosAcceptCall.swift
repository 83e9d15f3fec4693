/// The v1 scheduler `Call` of type ACCEPT (scheduler.proto) that launches one task on one offer,
/// as the body of `POST /api/v1/scheduler` (mesos.md §4.2).
public struct MesosAcceptCall: Encodable, Sendable, Equatable {
    /// `framework_id`: required on every call but SUBSCRIBE.
    public var frameworkID: MesosTaskInfo.ID
    /// `type`: `ACCEPT`.
    public var type = "ACCEPT"
    /// `accept`.
    public var accept: Accept

    enum CodingKeys: String, CodingKey {
        case type, accept
        case frameworkID = "framework_id"
    }

    /// `Call.Accept`.
    public struct Accept: Encodable, Sendable, Equatable {
        /// `offer_ids`.
        public var offerIDs: [MesosTaskInfo.ID]
        /// `operations`: one LAUNCH.
        public var operations: [Operation]
        /// `filters`.
        public var filters: Filters

        enum CodingKeys: String, CodingKey {
            case operations, filters
            case offerIDs = "offer_ids"
        }
    }

    /// `Offer.Operation` of type LAUNCH.
    public struct Operation: Encodable, Sendable, Equatable {
        /// `type`: `LAUNCH`.
        public var type = "LAUNCH"
        /// `launch`.
        public var launch: Launch
    }

    /// `Offer.Operation.Launch`.
    public struct Launch: Encodable, Sendable, Equatable {
        /// `task_infos`.
        public var taskInfos: [MesosTaskInfo]

        enum CodingKeys: String, CodingKey { case taskInfos = "task_infos" }
    }

    /// `Filters`.
    public struct Filters: Encodable, Sendable, Equatable {
        /// `refuse_seconds`: how long the rest of the offer is declined.
        public var refuseSeconds: Double

        enum CodingKeys: String, CodingKey { case refuseSeconds = "refuse_seconds" }
    }

    /// Wraps one task launched on `offer`.
    public init(frameworkID: String, offerID: String, task: MesosTaskInfo, refuseSeconds: Double) {
        self.frameworkID = MesosTaskInfo.ID(frameworkID)
        self.accept = Accept(
            offerIDs: [MesosTaskInfo.ID(offerID)],
            operations: [Operation(launch: Launch(taskInfos: [task]))],
            filters: Filters(refuseSeconds: refuseSeconds)
        )
    }
}

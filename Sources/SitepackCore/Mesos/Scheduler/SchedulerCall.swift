public import Foundation

/// A `Call` of the v1 scheduler API (scheduler.proto, mesos.md §3.5), written as Mesos's JSON
/// (snake_case fields, enums as names, mesos.md §3.2).
public enum SchedulerCall: Sendable, Equatable {
    /// `SUBSCRIBE`: opens the event stream; resubscribing names the framework id twice (mesos.md §3.5 item 1).
    case subscribe(FrameworkInfo, suppressedRoles: [String])
    /// `ACCEPT` of offers with one LAUNCH of `tasks` (built by ``SiteTask``), the rest refused for `refuseSeconds`.
    case accept(offerIDs: [String], tasks: [MesosTaskInfo], refuseSeconds: Double)
    /// `DECLINE` of offers, refused for `refuseSeconds`.
    case decline(offerIDs: [String], refuseSeconds: Double)
    /// `SUPPRESS`: no more offers for these roles.
    case suppress(roles: [String])
    /// `REVIVE`: offers again, filters cleared.
    case revive(roles: [String])
    /// `ACKNOWLEDGE` of an update carrying `uuid`.
    case acknowledge(agentID: String, taskID: String, uuid: String)
    /// `RECONCILE` of these tasks (task id, agent id); empty asks for every task.
    case reconcile([ReconcileTask])
    /// `KILL` of a task.
    case kill(taskID: String, agentID: String?)
    /// `TEARDOWN`: kill every task and remove the framework.
    case teardown

    /// A task named in a RECONCILE call.
    public struct ReconcileTask: Sendable, Equatable {
        /// `task_id.value`.
        public var taskID: String
        /// `agent_id.value`, when known.
        public var agentID: String?
        /// Creates one.
        public init(taskID: String, agentID: String?) {
            self.taskID = taskID
            self.agentID = agentID
        }
    }

    /// The call's `type`.
    public var type: String {
        switch self {
        case .subscribe: return "SUBSCRIBE"
        case .accept: return "ACCEPT"
        case .decline: return "DECLINE"
        case .suppress: return "SUPPRESS"
        case .revive: return "REVIVE"
        case .acknowledge: return "ACKNOWLEDGE"
        case .reconcile: return "RECONCILE"
        case .kill: return "KILL"
        case .teardown: return "TEARDOWN"
        }
    }

    /// The request body; `frameworkID` is required on every call but a first SUBSCRIBE.
    public func body(frameworkID: String?) throws -> Data {
        var members: [String: MesosJSON] = ["type": .string(type)]
        if let frameworkID { members["framework_id"] = Self.id(frameworkID) }
        switch self {
        case .subscribe(var info, let suppressed):
            if info.id == nil, let frameworkID { info.id = frameworkID }
            var subscribe: [String: MesosJSON] = ["framework_info": info.json]
            if !suppressed.isEmpty { subscribe["suppressed_roles"] = .array(suppressed.map(MesosJSON.string)) }
            members["subscribe"] = .object(subscribe)
        case .accept(let offerIDs, let tasks, let refuseSeconds):
            let launch = MesosAcceptCall.Operation(launch: .init(taskInfos: tasks))
            let accept = MesosAcceptCall.Accept(offerIDs: offerIDs.map(MesosTaskInfo.ID.init), operations: tasks.isEmpty ? [] : [launch],
                                                filters: .init(refuseSeconds: refuseSeconds))
            members["accept"] = try JSONDecoder().decode(MesosJSON.self, from: JSONEncoder().encode(accept))
        case .decline(let offerIDs, let refuseSeconds):
            members["decline"] = .object(["offer_ids": .array(offerIDs.map(Self.id)), "filters": .object(["refuse_seconds": .number(refuseSeconds)])])
        case .suppress(let roles):
            members["suppress"] = .object(["roles": .array(roles.map(MesosJSON.string))])
        case .revive(let roles):
            members["revive"] = .object(["roles": .array(roles.map(MesosJSON.string))])
        case .acknowledge(let agentID, let taskID, let uuid):
            members["acknowledge"] = .object(["agent_id": Self.id(agentID), "task_id": Self.id(taskID), "uuid": .string(uuid)])
        case .reconcile(let tasks):
            members["reconcile"] = .object(["tasks": .array(tasks.map { task in
                var entry: [String: MesosJSON] = ["task_id": Self.id(task.taskID)]
                if let agent = task.agentID { entry["agent_id"] = Self.id(agent) }
                return .object(entry)
            })])
        case .kill(let taskID, let agentID):
            var kill: [String: MesosJSON] = ["task_id": Self.id(taskID)]
            if let agentID { kill["agent_id"] = Self.id(agentID) }
            members["kill"] = .object(kill)
        case .teardown:
            break
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(MesosJSON.object(members))
    }

    static func id(_ value: String) -> MesosJSON { .object(["value": .string(value)]) }
}

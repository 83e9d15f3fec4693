/// A `TaskStatus` (mesos.proto, mesos.md §4) as an UPDATE event carries it: the parts a scheduler acts on.
public struct TaskStatus: Sendable, Equatable {
    /// `task_id.value` (required).
    public var taskID: String
    /// `state` (required), e.g. `TASK_RUNNING`.
    public var state: String
    /// `agent_id.value`.
    public var agentID: String?
    /// `message`: the agent's or master's explanation.
    public var message: String?
    /// `reason`, e.g. `REASON_CONTAINER_LAUNCH_FAILED`.
    public var reason: String?
    /// `source`: `SOURCE_MASTER`, `SOURCE_AGENT` or `SOURCE_EXECUTOR`.
    public var source: String?
    /// `uuid` (bytes, base64 in JSON): present when the update must be acknowledged; master-generated
    /// updates (and reconciliation answers) have none and must not be (mesos.md §3.5, item 6).
    public var uuid: String?
    /// `healthy`: the health check's verdict, on TASK_RUNNING updates of a task that has one.
    public var healthy: Bool?
    /// `timestamp`, seconds since the epoch.
    public var timestamp: Double?

    /// Creates a status.
    public init(taskID: String, state: String, agentID: String? = nil, message: String? = nil, reason: String? = nil,
                source: String? = nil, uuid: String? = nil, healthy: Bool? = nil, timestamp: Double? = nil) {
        self.taskID = taskID
        self.state = state
        self.agentID = agentID
        self.message = message
        self.reason = reason
        self.source = source
        self.uuid = uuid
        self.healthy = healthy
        self.timestamp = timestamp
    }

    /// Terminal states: the task is gone and will send nothing more.
    public static let terminalStates: Set<String> = [
        "TASK_FINISHED", "TASK_FAILED", "TASK_KILLED", "TASK_ERROR", "TASK_LOST", "TASK_DROPPED",
        "TASK_GONE", "TASK_GONE_BY_OPERATOR", "TASK_UNKNOWN",
    ]

    /// Whether ``state`` is terminal.
    public var isTerminal: Bool { Self.terminalStates.contains(state) }

    /// The state without its `TASK_` prefix, as printed (`RUNNING`).
    public var shortState: String { state.hasPrefix("TASK_") ? String(state.dropFirst(5)) : state }

    /// Reads a TaskStatus object; nil when a required field is missing.
    init?(json: MesosJSON) {
        guard let taskID = json["task_id"]?["value"]?.stringValue, let state = json["state"]?.stringValue else { return nil }
        self.init(
            taskID: taskID, state: state,
            agentID: json["agent_id"]?["value"]?.stringValue,
            message: json["message"]?.stringValue,
            reason: json["reason"]?.stringValue,
            source: json["source"]?.stringValue,
            uuid: json["uuid"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 },
            healthy: { if case .bool(let value)? = json["healthy"] { return value } else { return nil } }(),
            timestamp: json["timestamp"]?.doubleValue
        )
    }
}

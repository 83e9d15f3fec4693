public import Foundation

/// The parts of a (validated) TaskInfo the local agent needs: what to fetch, what to run, with which
/// environment, where to probe it and how to stop it.
public struct LocalTask: Sendable {
    /// `task_id.value`; also the command executor's ExecutorID.
    public var taskID: String
    /// `agent_id.value`.
    public var agentID: String
    /// The framework the task was launched for (the ACCEPT call's, or the synthetic offer's).
    public var frameworkID: String
    /// The role its resources are allocated to (`MESOS_ALLOCATION_ROLE`).
    public var role: String
    /// `command.uris`.
    public var uris: [MesosURI]
    /// `command.shell` (default true).
    public var shell: Bool
    /// `command.value`.
    public var value: String?
    /// `command.arguments`.
    public var arguments: [String]
    /// `command.environment.variables` of type VALUE, in order.
    public var environment: [(name: String, value: String)]
    /// The port the task must listen on: the HTTP health check's, else `PORT0`, else the first of its ports resource.
    public var port: UInt64?
    /// The HTTP health check, if any.
    public var healthCheck: HealthCheck?
    /// `kill_policy.grace_period` (Mesos's default for command tasks: 3 s when unset).
    public var killGracePeriod: Duration

    /// An HTTP health check's settings, with mesos.proto's defaults.
    public struct HealthCheck: Sendable, Equatable {
        /// `http.port`.
        public var port: UInt64
        /// `http.path` (default `/`).
        public var path: String
        /// `delay_seconds` (15).
        public var delaySeconds: Double
        /// `interval_seconds` (10).
        public var intervalSeconds: Double
        /// `timeout_seconds` (20).
        public var timeoutSeconds: Double
        /// `consecutive_failures` (3).
        public var consecutiveFailures: Int
        /// `grace_period_seconds` (10).
        public var gracePeriodSeconds: Double
    }

    /// Reads a TaskInfo that passed ``MasterValidation``.
    public init(taskInfo task: MesosJSON, frameworkID: String) throws {
        let data = try JSONEncoder().encode(task)
        self.uris = try TaskURIs.parse(data, source: "the TaskInfo")
        self.taskID = task["task_id"]?["value"]?.stringValue ?? ""
        self.agentID = task["agent_id"]?["value"]?.stringValue ?? ""
        self.frameworkID = frameworkID
        let resources = task["resources"]?.arrayValue ?? []
        self.role = resources.compactMap { $0["allocation_info"]?["role"]?.stringValue }.first
            ?? resources.compactMap { $0["role"]?.stringValue }.first ?? "*"
        let command = task["command"]
        self.shell = command?["shell"]?.boolValueOrNil ?? true
        self.value = command?["value"]?.stringValue
        self.arguments = (command?["arguments"]?.arrayValue ?? []).compactMap(\.stringValue)
        self.environment = (command?["environment"]?["variables"]?.arrayValue ?? []).compactMap { variable in
            guard (variable["type"]?.stringValue ?? "VALUE") == "VALUE", let name = variable["name"]?.stringValue,
                  let value = variable["value"]?.stringValue else { return nil }
            return (name: name, value: value)
        }
        if let check = task["health_check"], check["type"]?.stringValue == "HTTP", let http = check["http"],
           let port = http["port"]?.unsignedValue {
            self.healthCheck = HealthCheck(
                port: port, path: http["path"]?.stringValue ?? "/",
                delaySeconds: check["delay_seconds"]?.doubleValue ?? 15, intervalSeconds: check["interval_seconds"]?.doubleValue ?? 10,
                timeoutSeconds: check["timeout_seconds"]?.doubleValue ?? 20,
                consecutiveFailures: Int(clamping: check["consecutive_failures"]?.unsignedValue ?? 3),
                gracePeriodSeconds: check["grace_period_seconds"]?.doubleValue ?? 10)
        }
        let portsResource = resources.first { $0["name"]?.stringValue == "ports" }
        let firstPort = portsResource?["ranges"]?["range"]?[0]?["begin"]?.unsignedValue
        let portVariable = environment.last { $0.name == "PORT0" }.flatMap { UInt64($0.value) }
        self.port = healthCheck?.port ?? portVariable ?? firstPort
        let nanoseconds = task["kill_policy"]?["grace_period"]?["nanoseconds"]?.doubleValue
        // MasterValidation refuses what does not fit in Int64; kept from trapping here all the same.
        self.killGracePeriod = nanoseconds.flatMap { abs($0) < 9.2e18 ? .nanoseconds(Int64($0)) : nil } ?? .seconds(3)
    }
}

extension MesosJSON {
    /// An element of an array, or nil.
    subscript(index: Int) -> MesosJSON? {
        guard let elements = arrayValue, elements.indices.contains(index) else { return nil }
        return elements[index]
    }
}

public import Foundation

/// The task `check --task FILE` runs, read from a TaskInfo, an ACCEPT call body (its first LAUNCH
/// task) or a Marathon app (turned into the TaskInfo Marathon would launch on the given offer).
public struct TaskDocument: Sendable {
    /// The TaskInfo, as JSON.
    public var taskInfo: MesosJSON
    /// The ACCEPT call's framework id, when the file had one.
    public var frameworkID: String?
    /// Which shape the file was (`TaskInfo`, `ACCEPT call`, `Marathon app`).
    public var shape: String

    /// Reads `data` (from `source`, for messages); a Marathon app takes its port from `offer`.
    public init(_ data: Data, source: String, offer: Offer, port: UInt64) throws {
        let json = try MesosJSON.parse(data, source: source)
        guard json.objectValue != nil else {
            throw SitepackError(.invalidInput, "\(source): expected a JSON object (a TaskInfo, an ACCEPT call or a Marathon app)")
        }
        if let accept = json["accept"] {
            let launches = (accept["operations"]?.arrayValue ?? []).filter { $0["type"]?.stringValue == "LAUNCH" }
            guard let task = launches.first?["launch"]?["task_infos"]?[0] else {
                throw SitepackError(.invalidInput, "\(source): the ACCEPT call has no LAUNCH operation with a task (accept.operations[].launch.task_infos[0])")
            }
            taskInfo = task
            frameworkID = json["framework_id"]?["value"]?.stringValue
            shape = "ACCEPT call"
        } else if json["task_id"] != nil || (json["command"] != nil && json["cmd"] == nil) || json["executor"] != nil {
            taskInfo = json
            shape = "TaskInfo"
        } else if json["cmd"] != nil || json["fetch"] != nil || json["args"] != nil {
            taskInfo = try Self.marathonTask(json, source: source, offer: offer, port: port)
            shape = "Marathon app"
        } else {
            throw SitepackError(.invalidInput, "\(source): neither a TaskInfo (task_id, command), an ACCEPT call (accept) nor a Marathon app (cmd, fetch)")
        }
    }

    /// The TaskInfo Marathon builds from an app (mesos.md §5): fetch → uris, cmd → a shell command,
    /// PORT0/PORT/PORTS/HOST and env → the environment, the first MESOS_HTTP check → the health check.
    static func marathonTask(_ app: MesosJSON, source: String, offer: Offer, port: UInt64) throws -> MesosJSON {
        let id = app["id"]?.stringValue ?? "/app"
        let dnsID = id.split(separator: "/").reversed().joined(separator: ".")
        var uris: [MesosJSON] = []
        for (index, item) in (app["fetch"]?.arrayValue ?? []).enumerated() {
            guard let uri = item["uri"]?.stringValue else {
                throw SitepackError(.invalidInput, "\(source): fetch[\(index)] has no \"uri\"")
            }
            var members: [String: MesosJSON] = ["value": .string(uri)]
            for key in ["extract", "executable", "cache"] { if let flag = item[key] { members[key] = flag } }
            if let dest = item["destPath"] { members["output_file"] = dest }
            uris.append(.object(members))
        }
        for legacy in app["uris"]?.arrayValue ?? [] { if let text = legacy.stringValue { uris.append(.object(["value": .string(text)])) } }
        var variables: [MesosJSON] = []
        func variable(_ name: String, _ value: String) { variables.append(.object(["name": .string(name), "type": .string("VALUE"), "value": .string(value)])) }
        for (name, value) in (app["env"]?.objectValue ?? [:]).sorted(by: { $0.key < $1.key }) {
            if let text = value.stringValue { variable(name, text) }
        }
        variable("PORT0", String(port))
        variable("PORT", String(port))
        variable("PORTS", String(port))
        variable("HOST", offer.hostname)
        variable("MESOS_TASK_ID", "\(dnsID).\(UUID().uuidString.lowercased())")
        variable("MARATHON_APP_ID", id)
        var command: [String: MesosJSON] = ["uris": .array(uris), "environment": .object(["variables": .array(variables)])]
        if let cmd = app["cmd"]?.stringValue {
            command["shell"] = .bool(true)
            command["value"] = .string(cmd)
        } else if let args = app["args"]?.arrayValue, let first = args.first {
            command["shell"] = .bool(false)
            command["value"] = first
            command["arguments"] = .array(args)
        }
        let role = MesosJSON.string("*")
        func scalar(_ name: String, _ value: Double) -> MesosJSON {
            .object(["name": .string(name), "type": .string("SCALAR"), "scalar": .object(["value": .number(value)]), "role": role])
        }
        let range = MesosJSON.object(["begin": .integer(Int64(port)), "end": .integer(Int64(port))])
        var task: [String: MesosJSON] = [
            "name": .string(dnsID),
            "task_id": .object(["value": .string("\(dnsID).\(UUID().uuidString.lowercased())")]),
            "agent_id": .object(["value": .string(offer.agentID)]),
            "resources": .array([
                scalar("cpus", app["cpus"]?.doubleValue ?? 1), scalar("mem", app["mem"]?.doubleValue ?? 128),
                .object(["name": .string("ports"), "type": .string("RANGES"), "ranges": .object(["range": .array([range])]), "role": role]),
            ]),
            "command": .object(command),
        ]
        if let check = (app["healthChecks"]?.arrayValue ?? []).first(where: { ["MESOS_HTTP", "MESOS_HTTPS"].contains($0["protocol"]?.stringValue ?? "") }) {
            let failures = check["maxConsecutiveFailures"]?.unsignedValue ?? 3
            guard let consecutiveFailures = Int64(exactly: failures) else {
                throw SitepackError(.invalidInput, "\(source): healthChecks[].maxConsecutiveFailures is \(failures), more than any count Mesos takes")
            }
            task["health_check"] = .object([
                "type": .string("HTTP"),
                "http": .object(["scheme": .string(check["protocol"]?.stringValue == "MESOS_HTTPS" ? "https" : "http"),
                                 "port": .integer(Int64(port)), "path": .string(check["path"]?.stringValue ?? "/")]),
                "delay_seconds": .number(check["delaySeconds"]?.doubleValue ?? 15),
                "interval_seconds": .number(check["intervalSeconds"]?.doubleValue ?? 60),
                "timeout_seconds": .number(check["timeoutSeconds"]?.doubleValue ?? 20),
                "consecutive_failures": .integer(consecutiveFailures),
                "grace_period_seconds": .number(check["gracePeriodSeconds"]?.doubleValue ?? 300),
            ])
        }
        if let grace = app["taskKillGracePeriodSeconds"]?.doubleValue {
            // Int64 nanoseconds hold about 292 years; a longer grace period trapped the conversion.
            guard abs(grace * 1e9) < 9.2e18 else {
                throw SitepackError(.invalidInput, "\(source): taskKillGracePeriodSeconds is \(grace), longer than Mesos's nanosecond grace period can hold")
            }
            task["kill_policy"] = .object(["grace_period": .object(["nanoseconds": .integer(Int64(grace * 1e9))])])
        }
        return .object(task)
    }
}

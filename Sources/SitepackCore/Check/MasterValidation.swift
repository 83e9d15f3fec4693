/// What the Mesos master checks in a TaskInfo before it launches it (src/common/validation.cpp,
/// src/master/validation.cpp; mesos.md §4), in the master's order, each refusal naming its field.
///
/// The task is read as JSON (``MesosJSON``) so a hand-written TaskInfo is judged as the master would
/// judge it, not as sitepack's own types would have written it.
public enum MasterValidation {
    /// One refusal: the field (`task_id.value`, `resources[2]`, `health_check.http.path`) and why.
    public struct Problem: Sendable, Equatable, CustomStringConvertible {
        /// The JSON path of the field at fault.
        public var field: String
        /// What the master says about it, and what to do.
        public var message: String

        public var description: String { "\(field): \(message)" }
    }

    /// The master's first refusal of `task` launched on `offer`, or nil when it would launch it.
    public static func firstProblem(_ task: MesosJSON, offer: Offer) -> Problem? {
        problems(task, offer: offer).first
    }

    /// Every refusal, in the master's validator order: name, task id, agent id, kill policy, health
    /// check, resources (one role, inside the offer), command/executor.
    public static func problems(_ task: MesosJSON, offer: Offer) -> [Problem] {
        guard let members = task.objectValue else {
            return [Problem(field: "(task)", message: "a TaskInfo must be a JSON object")]
        }
        var found: [Problem] = []
        if members["name"]?.stringValue == nil {
            found.append(Problem(field: "name", message: "required field missing (the master answers 400)"))
        }
        found += taskID(members["task_id"])
        if (members["agent_id"]?["value"]?.stringValue ?? "").isEmpty {
            found.append(Problem(field: "agent_id.value", message: "required field missing: it must be the offer's agent id"))
        }
        found += killPolicy(members["kill_policy"])
        found += healthCheck(members["health_check"])
        found += resources(members["resources"], offer: offer)
        found += command(members)
        return found
    }

    // MARK: - Validators

    /// task_id: non-empty, at most 255 bytes, not `.`/`..`, no control characters, `/` or `\`.
    static func taskID(_ value: MesosJSON?) -> [Problem] {
        guard let id = value?["value"]?.stringValue else {
            return [Problem(field: "task_id.value", message: "required field missing")]
        }
        let field = "task_id.value"
        if id.isEmpty { return [Problem(field: field, message: "the task id must not be empty")] }
        if id.utf8.count > 255 {
            return [Problem(field: field, message: "the task id is \(id.utf8.count) bytes; Mesos allows at most 255 (NAME_MAX)")]
        }
        if id == "." || id == ".." { return [Problem(field: field, message: "'\(id)' is not a valid task id")] }
        if let bad = id.unicodeScalars.first(where: { $0 == "/" || $0 == "\\" || $0.value < 0x20 || $0.value == 0x7F }) {
            let shown = bad == "/" || bad == "\\" ? "'\(bad)'" : "a control character"
            return [Problem(field: field, message: "'\(id)' contains \(shown); Mesos refuses task ids with '/', '\\' or control characters (the id names a sandbox folder)")]
        }
        return []
    }

    /// kill_policy.grace_period.nanoseconds: required when the duration is given, never negative.
    static func killPolicy(_ value: MesosJSON?) -> [Problem] {
        guard let value, value != .null else { return [] }
        guard let grace = value["grace_period"], grace != .null else { return [] }
        guard let nanoseconds = grace["nanoseconds"] else {
            return [Problem(field: "kill_policy.grace_period.nanoseconds", message: "required field missing")]
        }
        guard let number = nanoseconds.doubleValue, number >= 0, number < 9.2e18 else {
            return [Problem(field: "kill_policy.grace_period.nanoseconds", message: "must be a non-negative number of nanoseconds (an int64)")]
        }
        return []
    }

    /// health_check: a known type with the matching member, non-negative timings, a path starting with `/`.
    static func healthCheck(_ value: MesosJSON?) -> [Problem] {
        guard let value, value != .null else { return [] }
        guard let type = value["type"]?.stringValue else {
            return [Problem(field: "health_check.type", message: "required by the master: COMMAND, HTTP or TCP")]
        }
        var found: [Problem] = []
        let members: [String: String] = ["COMMAND": "command", "HTTP": "http", "TCP": "tcp"]
        guard let member = members[type] else {
            return [Problem(field: "health_check.type", message: "'\(type)' is not COMMAND, HTTP or TCP (UNKNOWN is refused)")]
        }
        if value[member] == nil || value[member] == .null {
            found.append(Problem(field: "health_check.\(member)", message: "a \(type) health check needs '\(member)' set"))
        }
        for (other, otherType) in [("command", "COMMAND"), ("http", "HTTP"), ("tcp", "TCP")] where other != member {
            if let set = value[other], set != .null {
                found.append(Problem(field: "health_check.\(other)", message: "is set but the type is \(type), not \(otherType): Mesos only runs the \(member) check"))
            }
        }
        for name in ["delay_seconds", "interval_seconds", "timeout_seconds", "grace_period_seconds", "consecutive_failures"] {
            if let number = value[name], number != .null, !((number.doubleValue ?? -1) >= 0) {
                found.append(Problem(field: "health_check.\(name)", message: "must be a non-negative number"))
            }
        }
        for portMember in ["http", "tcp"] where portMember == member {
            guard let check = value[portMember], check != .null else { continue }
            if let port = check["port"]?.unsignedValue {
                if !(1...65535).contains(port) {
                    found.append(Problem(field: "health_check.\(portMember).port", message: "\(port) is not a TCP port (1-65535)"))
                }
            } else {
                found.append(Problem(field: "health_check.\(portMember).port", message: "required field missing (a port number)"))
            }
            if portMember == "http", let path = check["path"], path != .null {
                if !(path.stringValue?.hasPrefix("/") ?? false) {
                    found.append(Problem(field: "health_check.http.path", message: "must start with '/'"))
                }
            }
            if portMember == "http", let scheme = check["scheme"]?.stringValue, scheme != "http", scheme != "https" {
                found.append(Problem(field: "health_check.http.scheme", message: "'\(scheme)' is not http or https"))
            }
        }
        return found
    }

    /// resources: not empty, each named and typed, all allocated to one role, and inside the offer
    /// (scalars no more than offered, every port range inside an offered `ports` range).
    static func resources(_ value: MesosJSON?, offer: Offer) -> [Problem] {
        guard let list = value?.arrayValue, !list.isEmpty else {
            return [Problem(field: "resources", message: "Task uses no resources: give it cpus, mem and the port it serves on")]
        }
        var found: [Problem] = []
        var roles = Set<String>()
        var scalars: [String: Double] = [:]
        for (index, resource) in list.enumerated() {
            let field = "resources[\(index)]"
            guard let name = resource["name"]?.stringValue, let type = resource["type"]?.stringValue else {
                found.append(Problem(field: field, message: "every resource needs 'name' and 'type'"))
                continue
            }
            if let role = resource["allocation_info"]?["role"]?.stringValue { roles.insert(role) }
            switch type {
            case "SCALAR":
                guard let amount = resource["scalar"]?["value"]?.doubleValue, amount >= 0 else {
                    found.append(Problem(field: "\(field).scalar.value", message: "\(name) needs a non-negative scalar value"))
                    continue
                }
                scalars[name, default: 0] += amount
            case "RANGES":
                let ranges = resource["ranges"]?["range"]?.arrayValue ?? []
                let offered = offer.resources.filter { $0.name == name && $0.type == "RANGES" }.flatMap { $0.ranges ?? [] }
                for (rangeIndex, range) in ranges.enumerated() {
                    guard let begin = range["begin"]?.unsignedValue, let end = range["end"]?.unsignedValue, begin <= end else {
                        found.append(Problem(field: "\(field).ranges.range[\(rangeIndex)]", message: "needs begin <= end"))
                        continue
                    }
                    if !offered.contains(where: { $0.begin <= begin && end <= $0.end }) {
                        let text = begin == end ? "\(begin)" : "\(begin)-\(end)"
                        found.append(Problem(field: "\(field).ranges.range[\(rangeIndex)]", message: "\(name) \(text) is not inside the offered \(name) \(ValueRange.describe(offered)): a task may only use what the offer holds (on this machine: the port is taken, or was never offered)"))
                    }
                }
            default:
                break
            }
        }
        if roles.count > 1 {
            found.append(Problem(field: "resources", message: "resources are allocated to several roles (\(roles.sorted().joined(separator: ", "))); the master requires one"))
        }
        for (name, amount) in scalars.sorted(by: { $0.key < $1.key }) {
            let offered = offer.resources.filter { $0.name == name && $0.type == "SCALAR" }.reduce(0.0) { $0 + ($1.scalar ?? 0) }
            if ScalarQuantity.milli(amount) > ScalarQuantity.milli(offered) {
                found.append(Problem(field: "resources", message: "\(name) \(amount) asked for, only \(offered) offered"))
            }
        }
        return found
    }

    /// Exactly one of command/executor; environment variables of type VALUE carry a value and no secret.
    static func command(_ members: [String: MesosJSON]) -> [Problem] {
        let hasCommand = members["command"].map { $0 != .null } ?? false
        let hasExecutor = members["executor"].map { $0 != .null } ?? false
        if hasCommand == hasExecutor {
            return [Problem(field: hasCommand ? "executor" : "command", message: "exactly one of command or executor must be set")]
        }
        guard let command = members["command"], hasCommand else { return [] }
        var found: [Problem] = []
        for (index, variable) in (command["environment"]?["variables"]?.arrayValue ?? []).enumerated() {
            let field = "command.environment.variables[\(index)]"
            guard variable["name"]?.stringValue != nil else {
                found.append(Problem(field: "\(field).name", message: "required field missing"))
                continue
            }
            let type = variable["type"]?.stringValue ?? "VALUE"
            let hasValue = variable["value"].map { $0 != .null } ?? false
            let hasSecret = variable["secret"].map { $0 != .null } ?? false
            if type == "VALUE" && (!hasValue || hasSecret) {
                found.append(Problem(field: "\(field).value", message: "a VALUE variable must have 'value' set and no 'secret'"))
            } else if type == "SECRET" && (!hasSecret || hasValue) {
                found.append(Problem(field: "\(field).secret", message: "a SECRET variable must have 'secret' set and no 'value'"))
            }
        }
        let shell = command["shell"]?.boolValueOrNil ?? true
        if shell && command["value"]?.stringValue == nil {
            found.append(Problem(field: "command.value", message: "a shell command (shell: true, the default) needs 'value'"))
        }
        return found
    }
}

extension MesosJSON {
    /// A boolean, or nil for any other value.
    var boolValueOrNil: Bool? {
        if case .bool(let value) = self { return value }
        return nil
    }
}

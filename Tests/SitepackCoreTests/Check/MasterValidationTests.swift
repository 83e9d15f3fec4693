import Foundation
@testable import SitepackCore
import Testing

/// The master's checks of a TaskInfo, each refusal naming its field (src/common/validation.cpp,
/// src/master/validation.cpp; mesos.md §4).
@Suite("MasterValidation: what the master refuses, by field")
struct MasterValidationTests {
    static let offer = Offer(id: "O1", frameworkID: "F", agentID: "S0", hostname: "h", resources: [
        OfferedResource(name: "cpus", type: "SCALAR", scalar: 2, metadata: ["role": .string("*")]),
        OfferedResource(name: "mem", type: "SCALAR", scalar: 1024, metadata: ["role": .string("*")]),
        OfferedResource(name: "ports", type: "RANGES", ranges: [ValueRange(begin: 31000, end: 31010)], metadata: ["role": .string("*")]),
    ])

    /// A valid TaskInfo, changed by `edit`.
    static func task(_ edit: (inout [String: MesosJSON]) -> Void = { _ in }) -> MesosJSON {
        var task: [String: MesosJSON] = [
            "name": .string("site"),
            "task_id": .object(["value": .string("site-1")]),
            "agent_id": .object(["value": .string("S0")]),
            "resources": .array([
                .object(["name": .string("cpus"), "type": .string("SCALAR"), "scalar": .object(["value": .number(0.1)])]),
                .object(["name": .string("ports"), "type": .string("RANGES"),
                         "ranges": .object(["range": .array([.object(["begin": .integer(31005), "end": .integer(31005)])])])]),
            ]),
            "command": .object(["value": .string("exit 0")]),
            "health_check": .object(["type": .string("HTTP"), "http": .object(["port": .integer(31005), "path": .string("/")])]),
        ]
        edit(&task)
        return .object(task)
    }

    static func field(_ task: MesosJSON) -> String? { MasterValidation.firstProblem(task, offer: offer)?.field }

    @Test("a valid task passes")
    func valid() {
        #expect(MasterValidation.problems(Self.task(), offer: Self.offer).isEmpty)
    }

    @Test("task ids: empty, too long, '.', '/', '\\\\' and control characters are refused", arguments: ["", String(repeating: "a", count: 256), ".", "..", "a/b", "a\\b", "a\u{1}b"])
    func badTaskIDs(id: String) {
        #expect(Self.field(Self.task { $0["task_id"] = .object(["value": .string(id)]) }) == "task_id.value")
    }

    @Test("a 255-byte task id is accepted")
    func longestTaskID() {
        #expect(Self.field(Self.task { $0["task_id"] = .object(["value": .string(String(repeating: "a", count: 255))]) }) == nil)
    }

    @Test("no resources, or resources from two roles, are refused")
    func resources() {
        #expect(Self.field(Self.task { $0["resources"] = .array([]) }) == "resources")
        #expect(Self.field(Self.task { $0["resources"] = .array([
            .object(["name": .string("cpus"), "type": .string("SCALAR"), "scalar": .object(["value": .number(0.1)]), "allocation_info": .object(["role": .string("a")])]),
            .object(["name": .string("mem"), "type": .string("SCALAR"), "scalar": .object(["value": .number(32)]), "allocation_info": .object(["role": .string("b")])]),
        ]) }) == "resources")
    }

    @Test("a port outside the offered ranges is refused, naming the range")
    func portOutsideOffer() {
        let task = Self.task { $0["resources"] = .array([
            .object(["name": .string("ports"), "type": .string("RANGES"),
                     "ranges": .object(["range": .array([.object(["begin": .integer(8080), "end": .integer(8080)])])])]),
        ]) }
        #expect(Self.field(task) == "resources[0].ranges.range[0]")
    }

    @Test("exactly one of command and executor")
    func commandOrExecutor() {
        #expect(Self.field(Self.task { $0["command"] = nil }) == "command")
        #expect(Self.field(Self.task { $0["executor"] = .object(["executor_id": .object(["value": .string("e")])]) }) == "executor")
    }

    @Test("health checks: the type's member must be set, timings non-negative, the path absolute")
    func healthChecks() {
        #expect(Self.field(Self.task { $0["health_check"] = .object(["type": .string("HTTP")]) }) == "health_check.http")
        #expect(Self.field(Self.task { $0["health_check"] = .object(["type": .string("UNKNOWN")]) }) == "health_check.type")
        #expect(Self.field(Self.task { $0["health_check"] = .object(["http": .object(["port": .integer(1)])]) }) == "health_check.type")
        #expect(Self.field(Self.task {
            $0["health_check"] = .object(["type": .string("TCP"), "tcp": .object(["port": .integer(31005)]), "http": .object(["port": .integer(31005)])])
        }) == "health_check.http")
        #expect(Self.field(Self.task {
            $0["health_check"] = .object(["type": .string("HTTP"), "http": .object(["port": .integer(31005), "path": .string("index.html")])])
        }) == "health_check.http.path")
        #expect(Self.field(Self.task {
            $0["health_check"] = .object(["type": .string("HTTP"), "http": .object(["port": .integer(31005)]), "interval_seconds": .number(-1)])
        }) == "health_check.interval_seconds")
    }

    @Test("a VALUE environment variable needs a value; a negative kill grace period is refused")
    func environmentAndKillPolicy() {
        #expect(Self.field(Self.task {
            $0["command"] = .object(["value": .string("x"), "environment": .object(["variables": .array([.object(["name": .string("A")])])])])
        }) == "command.environment.variables[0].value")
        #expect(Self.field(Self.task { $0["kill_policy"] = .object(["grace_period": .object(["nanoseconds": .integer(-1)])]) })
            == "kill_policy.grace_period.nanoseconds")
    }
}

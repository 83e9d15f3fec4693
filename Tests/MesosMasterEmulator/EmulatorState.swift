#if canImport(Glibc)
import Glibc
#endif
import Foundation
import NIOCore
import SitepackCore

/// Everything the emulated master knows, behind one lock.
struct EmulatorState {
    var requests = 0
    var calls: [String] = []
    var statuses: [Int] = []
    var tornDown: [String] = []
    var subscriptions = 0
    var nextFramework = 1
    var nextOffer = 1
    var nextOfferRound = Date()
    var rescinded = false
    var frameworks: [String: FrameworkState] = [:]
    var agents: [String: AgentState] = [:]
    var offers: [String: HeldOffer] = [:]
    /// Agents declined until then (`Filters.refuse_seconds`); REVIVE clears them.
    var filters: [String: Date] = [:]
    var tasks: [String: RunningTask] = [:]

    /// An offer of the agent's free resources to the framework, remembered as outstanding; nil when
    /// the agent has nothing left.
    mutating func offerJSON(agentID: String, frameworkID: String, masterID: String) -> MesosJSON? {
        guard let agent = agents[agentID], let role = frameworks[frameworkID]?.roles.first else { return nil }
        let free = agent.freePorts
        guard agent.freeCPUs > 0.0005, !free.isEmpty else { return nil }
        let offerID = "\(masterID)-O\(nextOffer)"
        nextOffer += 1
        let allocation: MesosJSON = .object(["role": .string(role)])
        func scalar(_ name: String, _ value: Double) -> MesosJSON {
            .object(["name": .string(name), "type": .string("SCALAR"), "scalar": .object(["value": .number(value)]),
                     "role": .string("*"), "allocation_info": allocation])
        }
        let ranges = free.map { MesosJSON.object(["begin": .integer(Int64($0.begin)), "end": .integer(Int64($0.end))]) }
        let json: MesosJSON = .object([
            "id": .object(["value": .string(offerID)]),
            "framework_id": .object(["value": .string(frameworkID)]),
            "agent_id": .object(["value": .string(agentID)]),
            "hostname": .string(agent.agent.hostname),
            "url": .object(["scheme": .string("http"), "address": .object(["hostname": .string(agent.agent.hostname), "ip": .string("127.0.0.1"), "port": .integer(5051)]),
                            "path": .string("/slave(1)")]),
            "allocation_info": allocation,
            "resources": .array([
                scalar("cpus", agent.freeCPUs), scalar("mem", agent.freeMem),
                .object(["name": .string("ports"), "type": .string("RANGES"), "ranges": .object(["range": .array(ranges)]),
                         "role": .string("*"), "allocation_info": allocation]),
            ]),
        ])
        guard let offer = try? OfferDocument.offers(from: json, source: "emulator").first else { return nil }
        offers[offerID] = HeldOffer(frameworkID: frameworkID, agentID: agentID, offer: offer)
        return json
    }
}

/// A framework and its current subscription.
struct FrameworkState {
    var id: String
    var roles: [String]
    var stream: StreamState?
    var suppressed = false
    var nextHeartbeat = Date()
}

/// One SUBSCRIBE connection.
struct StreamState {
    var id: String
    var channel: any Channel
    /// The first subscription of the emulator (the one drop/silence settings apply to).
    var first: Bool
    var updates = 0
    var silent = false
}

/// An outstanding offer.
struct HeldOffer {
    var frameworkID: String
    var agentID: String
    var offer: Offer
}

/// An update waiting for its acknowledgement.
struct PendingUpdate {
    var uuid: String
    var event: MesosJSON
    var nextSend: Date
}

/// A launched task.
struct RunningTask: Sendable {
    var id: String
    var agentID: String
    var frameworkID: String
    var task: MesosJSON
    var state = "TASK_STAGING"
    var healthy: Bool?
    var pid: pid_t?
    var workDirectory: String?
    var grace: Duration = .seconds(3)
    var pending: [PendingUpdate] = []

    init(id: String, agentID: String, frameworkID: String, task: MesosJSON) {
        self.id = id
        self.agentID = agentID
        self.frameworkID = frameworkID
        self.task = task
    }
}

extension PendingUpdate: @unchecked Sendable {}

/// A synthetic agent and what its tasks use.
struct AgentState {
    var agent: EmulatorConfiguration.Agent
    var usedCPUs = 0.0
    var usedMem = 0.0
    var usedPorts: Set<UInt64> = []

    var freeCPUs: Double { max(0, agent.cpus - usedCPUs) }
    var freeMem: Double { max(0, agent.mem - usedMem) }

    /// The offered ranges minus the ports in use.
    var freePorts: [ValueRange] {
        var result: [ValueRange] = []
        for range in agent.ports {
            var begin: UInt64?
            for port in range.begin...range.end {
                if usedPorts.contains(port) {
                    if let start = begin { result.append(ValueRange(begin: start, end: port - 1)); begin = nil }
                } else if begin == nil {
                    begin = port
                }
            }
            if let start = begin { result.append(ValueRange(begin: start, end: range.end)) }
        }
        return result
    }

    mutating func use(_ task: MesosJSON) { account(task, sign: 1) }
    mutating func release(_ task: MesosJSON) { account(task, sign: -1) }

    private mutating func account(_ task: MesosJSON, sign: Double) {
        for resource in task["resources"]?.arrayValue ?? [] {
            let value = resource["scalar"]?["value"]?.doubleValue ?? 0
            switch resource["name"]?.stringValue {
            case "cpus": usedCPUs += sign * value
            case "mem": usedMem += sign * value
            case "ports":
                for range in resource["ranges"]?["range"]?.arrayValue ?? [] {
                    guard let begin = range["begin"]?.unsignedValue, let end = range["end"]?.unsignedValue, begin <= end else { continue }
                    for port in begin...end { if sign > 0 { usedPorts.insert(port) } else { usedPorts.remove(port) } }
                }
            default: break
            }
        }
    }
}

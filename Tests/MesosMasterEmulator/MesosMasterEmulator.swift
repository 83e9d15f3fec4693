#if canImport(Glibc)
import Glibc
#endif
public import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
public import SitepackCore
import Synchronization

/// A Mesos master's `/api/v1/scheduler` as mesos.md §3 describes it, for tests: on 127.0.0.1, port 0.
///
/// It answers as src/master/http.cpp does (405, 400 for a missing Content-Type, 415 for any other,
/// 401 without the credentials, 403 for a forbidden role, 307 from a non-leader, 503 while "recovering",
/// 400 for a missing or wrong Mesos-Stream-Id), streams SUBSCRIBED, OFFERS from synthetic agents, RESCIND,
/// HEARTBEAT and UPDATE events as RecordIO records deliberately split and merged across HTTP chunks,
/// validates each launched TaskInfo with check's ``MasterValidation`` (TASK_ERROR when it refuses),
/// re-sends each agent update until it is acknowledged, answers RECONCILE, and runs accepted tasks with
/// check's ``LocalAgent`` so a launch ends with the site answering on its port.
public final class MesosMasterEmulator: Sendable {
    /// The port it listens on.
    public let port: Int
    let configuration: EmulatorConfiguration
    let state: Mutex<EmulatorState>
    private let serverChannel: any Channel
    private let ticker: Mutex<RepeatedTask?> = Mutex(nil)
    /// The master's id, the prefix of its offer, agent and framework ids.
    let masterID = UUID().uuidString.lowercased()

    /// Starts an emulator.
    public static func start(_ configuration: EmulatorConfiguration) async throws -> MesosMasterEmulator {
        let box = EmulatorBox()
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.pipeline.configureHTTPServerPipeline().flatMap {
                    channel.pipeline.addHandler(EmulatorHTTPHandler(box: box))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        let emulator = MesosMasterEmulator(configuration: configuration, channel: channel)
        box.emulator.withLock { $0 = emulator }
        let task = channel.eventLoop.scheduleRepeatedTask(initialDelay: .milliseconds(50), delay: .milliseconds(50)) { _ in
            emulator.tick()
        }
        emulator.ticker.withLock { $0 = task }
        return emulator
    }

    private init(configuration: EmulatorConfiguration, channel: any Channel) {
        self.configuration = configuration
        self.serverChannel = channel
        self.port = channel.localAddress?.port ?? 0
        var state = EmulatorState()
        for agent in configuration.agents { state.agents[agent.id] = AgentState(agent: agent) }
        self.state = Mutex(state)
    }

    /// `http://127.0.0.1:PORT`.
    public var url: String { "http://127.0.0.1:\(port)" }

    /// Stops every task (SIGTERM, then SIGKILL), removes their sandboxes and closes the server.
    public func shutdown() async {
        ticker.withLock { $0?.cancel() }
        let running = state.withLock { state -> [RunningTask] in
            let list = Array(state.tasks.values)
            for id in state.frameworks.keys { state.frameworks[id]?.stream = nil }
            return list
        }
        for task in running { stopProcess(task) }
        try? await serverChannel.close()
    }

    // MARK: - What tests look at

    /// The type of every call received, in order (SUBSCRIBE, ACCEPT, ACKNOWLEDGE, …).
    public var calls: [String] { state.withLock { $0.calls } }
    /// Status codes answered, in order.
    public var statuses: [Int] { state.withLock { $0.statuses } }
    /// Frameworks torn down.
    public var tornDown: [String] { state.withLock { $0.tornDown } }
    /// The tasks not terminal, with their state.
    public var liveTasks: [String: String] { state.withLock { $0.tasks.filter { !TaskStatus.terminalStates.contains($0.value.state) }.mapValues(\.state) } }
    /// Updates sent and not yet acknowledged.
    public var unacknowledged: Int { state.withLock { $0.tasks.values.reduce(0) { $0 + $1.pending.count } } }
    /// How many subscriptions were accepted.
    public var subscriptions: Int { state.withLock { $0.subscriptions } }
    /// Process ids of tasks started for real and not yet stopped.
    public var processes: [pid_t] { state.withLock { $0.tasks.values.compactMap(\.pid) } }

    // MARK: - HTTP

    /// Answers one request. Returns nil when the connection became a SUBSCRIBE stream.
    func respond(to head: HTTPRequestHead, body: [UInt8], channel: any Channel) -> EmulatorReply? {
        let reply = decide(head: head, body: body, channel: channel)
        if let reply { state.withLock { $0.statuses.append(reply.status) } } else { state.withLock { $0.statuses.append(200) } }
        return reply
    }

    private func decide(head: HTTPRequestHead, body: [UInt8], channel: any Channel) -> EmulatorReply? {
        // The order of src/master/http.cpp's checks (mesos.md §3.6).
        let unavailable = state.withLock { state -> Bool in
            state.requests += 1
            return state.requests <= configuration.unavailableRequests
        }
        if unavailable { return EmulatorReply(status: 503, body: "Master has not finished recovery") }
        if let leader = configuration.leaderPort {
            return EmulatorReply(status: 307, headers: [("Location", "//127.0.0.1:\(leader)/api/v1/scheduler")])
        }
        guard head.uri == "/api/v1/scheduler" else { return EmulatorReply(status: 404) }
        guard head.method == .POST else { return EmulatorReply(status: 405, body: "Expecting a 'POST' request, received '\(head.method.rawValue)'") }
        if let credentials = configuration.credentials {
            let expected = "Basic " + Data("\(credentials.principal):\(credentials.secret)".utf8).base64EncodedString()
            guard head.headers.first(name: "Authorization") == expected else {
                return EmulatorReply(status: 401, headers: [("WWW-Authenticate", "Basic realm=\"mesos-master-scheduler\"")])
            }
        }
        guard let contentType = head.headers.first(name: "Content-Type") else {
            return EmulatorReply(status: 400, body: "Expecting 'Content-Type' to be present")
        }
        guard contentType == "application/json" else {
            return EmulatorReply(status: 415, body: "Expecting 'Content-Type' of application/json or application/x-protobuf")
        }
        let json: MesosJSON
        do {
            json = try MesosJSON.parse(Data(body), source: "the request body")
        } catch {
            return EmulatorReply(status: 400, body: "Failed to parse body into Call: \(error)")
        }
        guard let type = json["type"]?.stringValue else { return EmulatorReply(status: 400, body: "Missing required fields: type") }
        let streamID = head.headers.first(name: "Mesos-Stream-Id")
        if type == "SUBSCRIBE" {
            if streamID != nil { return EmulatorReply(status: 400, body: "Subscribe calls should not include the 'Mesos-Stream-Id' header") }
            return subscribe(json, channel: channel)
        }
        state.withLock { $0.calls.append(type) }
        guard let frameworkID = json["framework_id"]?["value"]?.stringValue else {
            return EmulatorReply(status: 400, body: "Expecting 'framework_id' to be present")
        }
        guard let streamID else { return EmulatorReply(status: 400, body: "All non-subscribe calls should include the 'Mesos-Stream-Id' header") }
        let known = state.withLock { state -> (Bool, String?) in (state.frameworks[frameworkID] != nil, state.frameworks[frameworkID]?.stream?.id) }
        guard known.0 else { return EmulatorReply(status: 400, body: "Framework cannot be found") }
        guard let current = known.1 else { return EmulatorReply(status: 403, body: "Framework is not subscribed") }
        guard current == streamID else {
            return EmulatorReply(status: 400, body: "The stream ID '\(streamID)' included in this request didn't match the stream ID currently associated with framework ID \(frameworkID)")
        }
        switch type {
        case "ACCEPT": return accept(json, frameworkID: frameworkID)
        case "DECLINE": return decline(json)
        case "ACKNOWLEDGE": return acknowledge(json)
        case "KILL": return kill(json, frameworkID: frameworkID)
        case "RECONCILE": return reconcile(json, frameworkID: frameworkID)
        case "SUPPRESS", "REVIVE":
            state.withLock { state in
                state.frameworks[frameworkID]?.suppressed = type == "SUPPRESS"
                if type == "REVIVE" { state.filters = [:] }
            }
            return EmulatorReply(status: 202)
        case "TEARDOWN": return teardown(frameworkID)
        default: return EmulatorReply(status: 501, body: "Received an unexpected '\(type)' call")
        }
    }

    // MARK: - SUBSCRIBE

    private func subscribe(_ json: MesosJSON, channel: any Channel) -> EmulatorReply? {
        guard let info = json["subscribe"]?["framework_info"], info["user"]?.stringValue != nil, info["name"]?.stringValue != nil else {
            return EmulatorReply(status: 400, body: "Missing required fields: subscribe.framework_info.user, subscribe.framework_info.name")
        }
        let roles = (info["roles"]?.arrayValue ?? []).compactMap(\.stringValue)
        if let role = roles.first(where: { configuration.forbiddenRoles.contains($0) }) {
            return EmulatorReply(status: 403, body: "Not authorized to use role '\(role)'")
        }
        if let credentials = configuration.credentials, info["principal"]?.stringValue != credentials.principal {
            return EmulatorReply(status: 400, body: "Authenticated principal '\(credentials.principal)' does not match principal '\(info["principal"]?.stringValue ?? "")' set in `FrameworkInfo`")
        }
        let topID = json["framework_id"]?["value"]?.stringValue
        let infoID = info["id"]?["value"]?.stringValue
        if topID != infoID {
            return EmulatorReply(status: 400, body: "'framework_id' differs from 'subscribe.framework_info.id'")
        }
        let streamID = UUID().uuidString.lowercased()
        let (frameworkID, old) = state.withLock { state -> (String, (any Channel)?) in
            state.calls.append("SUBSCRIBE")
            state.subscriptions += 1
            let id = infoID ?? "\(masterID)-\(String(format: "%04d", state.nextFramework))"
            if infoID == nil { state.nextFramework += 1 }
            var framework = state.frameworks[id] ?? FrameworkState(id: id, roles: roles.isEmpty ? ["*"] : roles)
            let old = framework.stream?.channel
            framework.stream = StreamState(id: streamID, channel: channel, first: state.subscriptions == 1)
            framework.suppressed = !(json["subscribe"]?["suppressed_roles"]?.arrayValue ?? []).isEmpty
            framework.nextHeartbeat = Date().addingTimeInterval(configuration.heartbeatIntervalSeconds)
            state.frameworks[id] = framework
            // A new subscription replaces the old one's offers.
            state.offers = state.offers.filter { $0.value.frameworkID != id }
            return (id, old)
        }
        // A new SUBSCRIBE closes any older subscription (mesos.md §3.5).
        old?.close(promise: nil)
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "application/json")
        headers.add(name: "Transfer-Encoding", value: "chunked")
        headers.add(name: "Mesos-Stream-Id", value: streamID)
        channel.writeAndFlush(HTTPServerResponsePart.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: headers)), promise: nil)
        let subscribed: MesosJSON = .object([
            "type": .string("SUBSCRIBED"),
            "subscribed": .object([
                "framework_id": .object(["value": .string(frameworkID)]),
                "heartbeat_interval_seconds": .number(configuration.heartbeatIntervalSeconds),
            ]),
        ])
        // SUBSCRIBED and the first HEARTBEAT in one write, split at odd places: records split and merged.
        send([subscribed, .object(["type": .string("HEARTBEAT")])], to: frameworkID)
        return nil
    }

    /// Writes events to a framework's stream as RecordIO, cut into chunks of 1, 7, 13, 64 … bytes so
    /// that records are split across chunks and several share one.
    func send(_ events: [MesosJSON], to frameworkID: String) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        var bytes: [UInt8] = []
        for event in events {
            guard let data = try? encoder.encode(event) else { continue }
            bytes += Array("\(data.count)\n".utf8) + Array(data)
        }
        let target = state.withLock { state -> (any Channel)? in
            guard let stream = state.frameworks[frameworkID]?.stream, !stream.silent else { return nil }
            return stream.channel
        }
        guard let channel = target else { return }
        let sizes = [1, 7, 13, 64, 3, 512]
        var chunks: [ByteBuffer] = []
        var index = 0
        var turn = 0
        while index < bytes.count {
            let size = min(sizes[turn % sizes.count], bytes.count - index)
            chunks.append(ByteBuffer(bytes: bytes[index ..< index + size]))
            index += size
            turn += 1
        }
        // One event-loop task writes all of a record's chunks, so records sent from several threads never interleave.
        channel.eventLoop.execute {
            for chunk in chunks {
                channel.write(HTTPServerResponsePart.body(.byteBuffer(chunk)), promise: nil)
                channel.flush()
            }
        }
    }

    // MARK: - Offers

    /// Every 50 ms: heartbeats, offers, update retries, ended processes.
    func tick() {
        let now = Date()
        var heartbeats: [String] = []
        var offers: [(String, [MesosJSON])] = []
        var retries: [(String, MesosJSON)] = []
        var rescind: (String, String)?
        state.withLock { state in
            for (id, framework) in state.frameworks where framework.stream != nil {
                if now >= framework.nextHeartbeat {
                    heartbeats.append(id)
                    state.frameworks[id]?.nextHeartbeat = now.addingTimeInterval(configuration.heartbeatIntervalSeconds)
                }
                guard !framework.suppressed, now >= state.nextOfferRound else { continue }
                var list: [MesosJSON] = []
                for agentID in state.agents.keys.sorted() {
                    guard !state.offers.values.contains(where: { $0.agentID == agentID && $0.frameworkID == id }),
                          (state.filters[agentID].map { now >= $0 } ?? true),
                          let json = state.offerJSON(agentID: agentID, frameworkID: id, masterID: masterID) else { continue }
                    list.append(json)
                }
                if !list.isEmpty {
                    offers.append((id, list))
                    if configuration.rescindFirstOffer && !state.rescinded, let first = list.first?["id"]?["value"]?.stringValue {
                        state.rescinded = true
                        state.offers[first] = nil
                        rescind = (id, first)
                    }
                }
            }
            if now >= state.nextOfferRound { state.nextOfferRound = now.addingTimeInterval(configuration.offerIntervalSeconds) }
            for (taskID, task) in state.tasks {
                guard let front = task.pending.first, now >= front.nextSend else { continue }
                state.tasks[taskID]?.pending[0].nextSend = now.addingTimeInterval(configuration.updateRetrySeconds)
                retries.append((task.frameworkID, front.event))
            }
        }
        for id in heartbeats { send([.object(["type": .string("HEARTBEAT")])], to: id) }
        for (id, list) in offers { send([.object(["type": .string("OFFERS"), "offers": .object(["offers": .array(list)])])], to: id) }
        if let (id, offer) = rescind {
            send([.object(["type": .string("RESCIND"), "rescind": .object(["offer_id": .object(["value": .string(offer)])])])], to: id)
        }
        for (id, event) in retries {
            send([event], to: id)
            countUpdate(frameworkID: id)
        }
        watchProcesses()
    }

    /// After the configured number of UPDATE events on the first stream: drop it, or go silent.
    private func countUpdate(frameworkID: String) {
        let drop = state.withLock { state -> (any Channel)? in
            guard var stream = state.frameworks[frameworkID]?.stream, stream.first else { return nil }
            stream.updates += 1
            var close: (any Channel)?
            if let limit = configuration.dropStreamAfterUpdates, stream.updates == limit {
                close = stream.channel
                state.frameworks[frameworkID]?.stream = nil
                return close
            }
            if let limit = configuration.silenceAfterUpdates, stream.updates >= limit { stream.silent = true }
            state.frameworks[frameworkID]?.stream = stream
            return close
        }
        drop?.close(promise: nil)
    }

    // MARK: - Calls

    private func accept(_ json: MesosJSON, frameworkID: String) -> EmulatorReply {
        let offerIDs = (json["accept"]?["offer_ids"]?.arrayValue ?? []).compactMap { $0["value"]?.stringValue }
        let refuse = json["accept"]?["filters"]?["refuse_seconds"]?.doubleValue ?? 5
        let tasks = (json["accept"]?["operations"]?.arrayValue ?? []).filter { $0["type"]?.stringValue == "LAUNCH" }
            .flatMap { $0["launch"]?["task_infos"]?.arrayValue ?? [] }
        let held = state.withLock { state -> [HeldOffer] in
            let list = offerIDs.compactMap { state.offers[$0] }.filter { $0.frameworkID == frameworkID }
            for id in offerIDs { state.offers[id] = nil }
            return list
        }
        var masterUpdates: [MesosJSON] = []
        var launches: [(MesosJSON, HeldOffer)] = []
        for task in tasks {
            let taskID = task["task_id"]?["value"]?.stringValue ?? ""
            let agentID = task["agent_id"]?["value"]?.stringValue ?? ""
            // An offer rescinded or already used: TASK_LOST, REASON_INVALID_OFFERS (master.cpp:3981-4014), no uuid.
            guard held.count == offerIDs.count, let offer = held.first(where: { $0.offer.agentID == agentID }) else {
                masterUpdates.append(Self.update(taskID: taskID, state: "TASK_LOST", agentID: agentID, source: "SOURCE_MASTER",
                                                 reason: "REASON_INVALID_OFFERS", message: "Task launched with invalid offers: Offer \(offerIDs.joined(separator: ", ")) is no longer valid"))
                continue
            }
            // The master's validation (src/master/validation.cpp): TASK_ERROR, REASON_TASK_INVALID (master.cpp:4916-4939).
            var problem = MasterValidation.firstProblem(task, offer: offer.offer).map { "Task \(taskID) is invalid: \($0)" }
            if problem == nil, state.withLock({ $0.tasks[taskID].map { !TaskStatus.terminalStates.contains($0.state) } ?? false }) {
                problem = "Task has duplicate ID: \(taskID)"
            }
            if let problem {
                masterUpdates.append(Self.update(taskID: taskID, state: "TASK_ERROR", agentID: agentID, source: "SOURCE_MASTER",
                                                 reason: "REASON_TASK_INVALID", message: problem))
                continue
            }
            launches.append((task, offer))
        }
        state.withLock { state in
            for (task, offer) in launches {
                let taskID = task["task_id"]?["value"]?.stringValue ?? ""
                state.agents[offer.offer.agentID]?.use(task)
                state.tasks[taskID] = RunningTask(id: taskID, agentID: offer.offer.agentID, frameworkID: frameworkID, task: task)
            }
            if launches.isEmpty || tasks.isEmpty {
                for offer in held { state.filters[offer.offer.agentID] = Date().addingTimeInterval(min(refuse, 5)) }
            }
        }
        if !masterUpdates.isEmpty { send(masterUpdates, to: frameworkID) }
        for (task, _) in launches { start(task, frameworkID: frameworkID) }
        return EmulatorReply(status: 202)
    }

    private func decline(_ json: MesosJSON) -> EmulatorReply {
        let ids = (json["decline"]?["offer_ids"]?.arrayValue ?? []).compactMap { $0["value"]?.stringValue }
        let refuse = json["decline"]?["filters"]?["refuse_seconds"]?.doubleValue ?? 5
        state.withLock { state in
            for id in ids {
                if let offer = state.offers.removeValue(forKey: id) {
                    state.filters[offer.offer.agentID] = Date().addingTimeInterval(refuse)
                }
            }
        }
        return EmulatorReply(status: 202)
    }

    private func acknowledge(_ json: MesosJSON) -> EmulatorReply {
        let ack = json["acknowledge"]
        guard let uuid = ack?["uuid"]?.stringValue, let bytes = Data(base64Encoded: uuid), bytes.count == 16 else {
            return EmulatorReply(status: 400, body: "Failed to validate scheduler::Call: Not a valid UUID")
        }
        let taskID = ack?["task_id"]?["value"]?.stringValue ?? ""
        let next = state.withLock { state -> (String, MesosJSON)? in
            guard var task = state.tasks[taskID], let index = task.pending.firstIndex(where: { $0.uuid == uuid }) else { return nil }
            task.pending.remove(at: index)
            let result = index == 0 ? task.pending.first.map { (task.frameworkID, $0.event) } : nil
            if index == 0, !task.pending.isEmpty { task.pending[0].nextSend = Date().addingTimeInterval(configuration.updateRetrySeconds) }
            state.tasks[taskID] = task
            if task.pending.isEmpty && TaskStatus.terminalStates.contains(task.state) { state.tasks[taskID] = nil }
            return result
        }
        // Only the update at the front of a task's queue is forwarded; the next goes once this one is acknowledged.
        if let (frameworkID, event) = next {
            send([event], to: frameworkID)
            countUpdate(frameworkID: frameworkID)
        }
        return EmulatorReply(status: 202)
    }

    private func reconcile(_ json: MesosJSON, frameworkID: String) -> EmulatorReply {
        let asked = (json["reconcile"]?["tasks"]?.arrayValue ?? []).compactMap { $0["task_id"]?["value"]?.stringValue }
        let answers = state.withLock { state -> [MesosJSON] in
            let ids = asked.isEmpty ? state.tasks.values.filter { $0.frameworkID == frameworkID }.map(\.id) : asked
            return ids.map { id in
                guard let task = state.tasks[id], task.frameworkID == frameworkID else {
                    return Self.update(taskID: id, state: "TASK_LOST", agentID: nil, source: "SOURCE_MASTER", reason: "REASON_RECONCILIATION", message: "Reconciliation: Task is unknown")
                }
                return Self.update(taskID: id, state: task.state, agentID: task.agentID, source: "SOURCE_MASTER", reason: "REASON_RECONCILIATION",
                                   message: "Reconciliation: Latest task state", healthy: task.healthy)
            }
        }
        if !answers.isEmpty { send(answers, to: frameworkID) }
        return EmulatorReply(status: 202)
    }

    private func kill(_ json: MesosJSON, frameworkID: String) -> EmulatorReply {
        let taskID = json["kill"]?["task_id"]?["value"]?.stringValue ?? ""
        let task = state.withLock { $0.tasks[taskID] }
        guard let task, task.frameworkID == frameworkID else {
            send([Self.update(taskID: taskID, state: "TASK_LOST", agentID: nil, source: "SOURCE_MASTER", reason: "REASON_RECONCILIATION", message: "Attempted to kill an unknown task")], to: frameworkID)
            return EmulatorReply(status: 202)
        }
        DispatchQueue.global().async {
            self.stopProcess(task)
            self.report(taskID, state: "TASK_KILLED", message: "Command terminated with signal Terminated")
        }
        return EmulatorReply(status: 202)
    }

    private func teardown(_ frameworkID: String) -> EmulatorReply {
        let (tasks, channel) = state.withLock { state -> ([RunningTask], (any Channel)?) in
            state.tornDown.append(frameworkID)
            let tasks = state.tasks.values.filter { $0.frameworkID == frameworkID }
            for task in tasks {
                state.tasks[task.id] = nil
                state.agents[task.agentID]?.release(task.task)
            }
            let channel = state.frameworks[frameworkID]?.stream?.channel
            state.frameworks[frameworkID] = nil
            state.offers = state.offers.filter { $0.value.frameworkID != frameworkID }
            return (tasks, channel)
        }
        for task in tasks { stopProcess(task) }
        channel?.writeAndFlush(HTTPServerResponsePart.end(nil)).whenComplete { _ in channel?.close(promise: nil) }
        return EmulatorReply(status: 202)
    }

    // MARK: - Status updates

    /// A TaskStatus UPDATE event.
    static func update(taskID: String, state: String, agentID: String?, source: String, reason: String? = nil, message: String? = nil,
                       uuid: String? = nil, healthy: Bool? = nil) -> MesosJSON {
        var status: [String: MesosJSON] = [
            "task_id": .object(["value": .string(taskID)]),
            "state": .string(state),
            "source": .string(source),
            "timestamp": .number(Date().timeIntervalSince1970),
        ]
        if let agentID { status["agent_id"] = .object(["value": .string(agentID)]) }
        if let reason { status["reason"] = .string(reason) }
        if let message { status["message"] = .string(message) }
        if let uuid { status["uuid"] = .string(uuid) }
        if let healthy { status["healthy"] = .bool(healthy) }
        return .object(["type": .string("UPDATE"), "update": .object(["status": .object(status)])])
    }

    /// An agent's update: queued with a uuid, sent when it reaches the front, re-sent until acknowledged.
    func report(_ taskID: String, state newState: String, reason: String? = nil, message: String? = nil, healthy: Bool? = nil) {
        let uuid = withUnsafeBytes(of: UUID().uuid) { Data($0) }.base64EncodedString()
        let send = state.withLock { state -> (String, MesosJSON)? in
            guard var task = state.tasks[taskID] else { return nil }
            task.state = newState
            if let healthy { task.healthy = healthy }
            let event = Self.update(taskID: taskID, state: newState, agentID: task.agentID,
                                    source: newState == "TASK_STARTING" || newState == "TASK_RUNNING" || newState == "TASK_KILLED" ? "SOURCE_EXECUTOR" : "SOURCE_AGENT",
                                    reason: reason, message: message, uuid: uuid, healthy: healthy)
            task.pending.append(PendingUpdate(uuid: uuid, event: event, nextSend: Date().addingTimeInterval(configuration.updateRetrySeconds)))
            if TaskStatus.terminalStates.contains(newState) {
                state.agents[task.agentID]?.release(task.task)
                task.pid = nil
            }
            state.tasks[taskID] = task
            return task.pending.count == 1 ? (task.frameworkID, event) : nil
        }
        if let (frameworkID, event) = send {
            self.send([event], to: frameworkID)
            countUpdate(frameworkID: frameworkID)
        }
    }

    // MARK: - Running tasks

    /// Runs a launched task as an agent would: sandbox, fetch, command executor, health check.
    private func start(_ json: MesosJSON, frameworkID: String) {
        let taskID = json["task_id"]?["value"]?.stringValue ?? ""
        guard configuration.runTasks else {
            report(taskID, state: "TASK_STARTING")
            report(taskID, state: "TASK_RUNNING")
            if json["health_check"] != nil {
                report(taskID, state: "TASK_RUNNING", reason: "REASON_TASK_HEALTH_CHECK_STATUS_UPDATED", healthy: true)
            }
            return
        }
        DispatchQueue.global().async { self.run(json, taskID: taskID, frameworkID: frameworkID) }
    }

    private func run(_ json: MesosJSON, taskID: String, frameworkID: String) {
        let task: LocalTask
        let agent: LocalAgent
        do {
            task = try LocalTask(taskInfo: json, frameworkID: frameworkID)
            agent = try LocalAgent(task: task)
        } catch {
            report(taskID, state: "TASK_FAILED", reason: "REASON_CONTAINER_LAUNCH_FAILED", message: "Failed to launch container: \(error)")
            return
        }
        state.withLock { $0.tasks[taskID]?.workDirectory = agent.workDirectory }
        var options = FetchOptions(sandbox: agent.sandbox)
        options.progress = false
        options.retries = 0
        options.cacheDirectory = configuration.agentCacheFolder.map { "\($0)/\(task.agentID)" } ?? agent.workDirectory + "/fetch-cache"
        let fetcher = Fetcher(options: options, logger: Logger(label: "emulator", factory: { _ in SwiftLogNoOpLogHandler() }))
        for uri in task.uris {
            do {
                _ = try fetcher.fetch(uri)
            } catch {
                agent.log("E fetcher: \(error)")
                agent.remove()
                // What the agent reports when the fetcher fails (slave.cpp:6990-7014, mesos.md §1.10).
                report(taskID, state: "TASK_FAILED", reason: "REASON_CONTAINER_LAUNCH_FAILED",
                       message: "Failed to launch container: Failed to fetch all URIs for container '\(UUID().uuidString.lowercased())': exited with status 1")
                return
            }
        }
        if configuration.fetchOnly {
            agent.remove()
            report(taskID, state: "TASK_STARTING")
            report(taskID, state: "TASK_RUNNING")
            if task.healthCheck != nil {
                report(taskID, state: "TASK_RUNNING", reason: "REASON_TASK_HEALTH_CHECK_STATUS_UPDATED", healthy: true)
            }
            return
        }
        let pid: pid_t
        do {
            pid = try agent.launch(task)
        } catch {
            agent.remove()
            report(taskID, state: "TASK_FAILED", reason: "REASON_EXECUTOR_TERMINATED", message: "\(error)")
            return
        }
        let alive = state.withLock { state -> Bool in
            guard state.tasks[taskID] != nil else { return false }
            state.tasks[taskID]?.pid = pid
            state.tasks[taskID]?.grace = task.killGracePeriod
            return true
        }
        guard alive else {
            LocalAgent.stop(group: pid, grace: .seconds(1))
            agent.remove()
            return
        }
        report(taskID, state: "TASK_STARTING")
        let probe = TaskProbe(port: task.port ?? 0)
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline, !probe.isOpen() {
            if state.withLock({ $0.tasks[taskID]?.pid }) != pid { return }
            usleep(50_000)
        }
        guard state.withLock({ $0.tasks[taskID]?.pid }) == pid else { return }
        report(taskID, state: "TASK_RUNNING")
        guard let check = task.healthCheck else { return }
        while Date() < deadline {
            if state.withLock({ $0.tasks[taskID]?.pid }) != pid { return }
            if let answer = try? probe.get(check.path, timeout: 2), (200..<400).contains(answer.status) {
                report(taskID, state: "TASK_RUNNING", reason: "REASON_TASK_HEALTH_CHECK_STATUS_UPDATED", healthy: true)
                return
            }
            usleep(100_000)
        }
    }

    /// A started process that ended on its own: TASK_FINISHED or TASK_FAILED.
    private func watchProcesses() {
        let running = state.withLock { $0.tasks.values.filter { $0.pid != nil } }
        for task in running {
            guard let pid = task.pid, let end = LocalAgent.exited(pid) else { continue }
            state.withLock { $0.tasks[task.id]?.pid = nil }
            if let work = task.workDirectory { try? FileSystem.removeTree(work) }
            report(task.id, state: end == "exited with status 0" ? "TASK_FINISHED" : "TASK_FAILED", reason: "REASON_COMMAND_EXECUTOR_FAILED", message: "Command \(end)")
        }
    }

    /// Stops a task's process group as the kill policy says and removes its sandbox.
    func stopProcess(_ task: RunningTask) {
        let pid = state.withLock { state -> pid_t? in
            let pid = state.tasks[task.id]?.pid ?? task.pid
            state.tasks[task.id]?.pid = nil
            return pid
        }
        if let pid { LocalAgent.stop(group: pid, grace: min(task.grace, .seconds(5))) }
        let work = state.withLock { $0.tasks[task.id]?.workDirectory } ?? task.workDirectory
        if let work { try? FileSystem.removeTree(work) }
    }
}

/// Lets the HTTP handlers reach the emulator created after the server bound.
final class EmulatorBox: Sendable {
    let emulator = Mutex<MesosMasterEmulator?>(nil)
}

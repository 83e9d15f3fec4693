/// The framework `sitepack launch` runs, as a pure state machine: events from the master in, calls to
/// the master and lines to print out. It holds no connection and reads no clock, so every protocol rule
/// below is unit-tested without a network (the transport is ``SchedulerClient``).
///
/// - offers: ACCEPT with LAUNCH, through ``SiteTask``'s matching and TaskInfo, until `instances` tasks
///   live, one task an agent a round so they spread; DECLINE the rest with a refuse filter; SUPPRESS
///   once all are launched, REVIVE when one must be replaced;
/// - updates: ACKNOWLEDGE exactly those carrying a `uuid` (mesos.md §3.5 item 6); a task failing before
///   all are ready fails the launch, one lost later is replaced;
/// - resubscription: RECONCILE the known tasks;
/// - stop: KILL every task, wait for the terminal updates, TEARDOWN.
public struct SiteFramework: Sendable {
    /// How the framework behaves.
    public struct Configuration: Sendable {
        /// The FrameworkInfo to subscribe with.
        public var framework: FrameworkInfo
        /// How many tasks to keep running.
        public var instances: Int
        /// `--detach`: once ready, leave the tasks running and finish.
        public var detach: Bool
        /// `--kill`: subscribe as this framework only to TEARDOWN it.
        public var killOnly: Bool
        /// `refuse_seconds` for offers declined while tasks are still needed (they may fit later).
        public var refuseSeconds: Double
        /// `refuse_seconds` for offers declined when nothing is needed.
        public var idleRefuseSeconds: Double
        /// How many tasks may be replaced after the launch was ready before it is given up.
        public var maximumReplacements: Int

        /// Creates a configuration.
        public init(framework: FrameworkInfo, instances: Int = 1, detach: Bool = false, killOnly: Bool = false,
                    refuseSeconds: Double = 5, idleRefuseSeconds: Double = 600, maximumReplacements: Int = 10) {
            self.framework = framework
            self.instances = instances
            self.detach = detach
            self.killOnly = killOnly
            self.refuseSeconds = refuseSeconds
            self.idleRefuseSeconds = idleRefuseSeconds
            self.maximumReplacements = maximumReplacements
        }
    }

    /// What the driver does next.
    public enum Action: Sendable, Equatable {
        /// Send this call (on its own connection, with the stream id).
        case call(SchedulerCall)
        /// Print this progress line (on stderr, with a timestamp).
        case say(String)
        /// Every task is healthy (or running, without a health check): print the sites.
        case ready([SiteEndpoint])
        /// Stop once the calls before this one are sent.
        case finish(Outcome)
    }

    /// How the framework ended.
    public enum Outcome: Sendable, Equatable {
        /// Stopped on request: tasks killed, framework torn down.
        case stopped
        /// Ready and left running (`--detach`).
        case detached(frameworkID: String)
        /// The framework was torn down (`--kill`).
        case tornDown(frameworkID: String)
        /// The launch failed: tasks killed, framework torn down (when it was subscribed).
        case failed(message: String)
    }

    /// One task of this framework.
    struct Tracked: Sendable {
        var agentID: String
        var host: String
        var port: UInt64
        var state: String
        var healthy: Bool?
        /// Still STAGING when it ended: no agent ever reported it.
        var wasStaging = false
    }

    /// Why the framework is stopping.
    enum Stopping: Sendable, Equatable {
        case requested
        case failed(String)
    }

    public let configuration: Configuration
    /// The site task every instance is launched from.
    public let site: SiteTask
    /// The framework id, once subscribed.
    public private(set) var frameworkID: String?
    /// Whether every task was ready once (the URLs were printed).
    public private(set) var isReady = false
    /// The heartbeat interval the master announced.
    public private(set) var heartbeatIntervalSeconds: Double?

    private var tasks: [String: Tracked] = [:]
    private var launchOrder: [String] = []
    private var launched = 0
    private var replaced = 0
    private var suppressed = false
    private var stopping: Stopping?
    private var finished = false
    private var reportedLacks: Set<String> = []
    private var subscribedOnce = false

    /// A framework launching `site`.
    public init(configuration: Configuration, site: SiteTask) {
        self.configuration = configuration
        self.site = site
        self.frameworkID = configuration.framework.id
    }

    /// Whether any task was launched.
    public var hasLaunched: Bool { launched > 0 }

    /// How many tasks the framework knows that are not terminal.
    public var liveTasks: Int { tasks.values.reduce(0) { $0 + (TaskStatus.terminalStates.contains($1.state) ? 0 : 1) } }

    /// How many more tasks must be launched.
    var needed: Int { stopping == nil && !finished ? max(0, configuration.instances - liveTasks) : 0 }

    /// The SUBSCRIBE call for now: with the framework id once known, and the roles it keeps suppressed.
    public var subscribeCall: SchedulerCall {
        var info = configuration.framework
        info.id = frameworkID
        return .subscribe(info, suppressedRoles: suppressed ? info.effectiveRoles : [])
    }

    // MARK: - Events

    /// Handles one event of the SUBSCRIBE stream.
    public mutating func handle(_ event: SchedulerEvent) -> [Action] {
        guard !finished else { return acknowledgement(of: event) }
        switch event {
        case .subscribed(let id, let interval):
            return subscribed(id, interval: interval)
        case .offers(let offers):
            return offered(offers)
        case .rescind(let offerID):
            return [.say("offer \(offerID) rescinded by the master")]
        case .update(let status):
            return update(status)
        case .failure(let agentID, let executorID, _):
            guard executorID == nil, let agentID else { return [] }
            let here = tasks.values.filter { $0.agentID == agentID && !TaskStatus.terminalStates.contains($0.state) }.count
            return here == 0 ? [] : [.say("agent \(agentID) lost (\(here) task\(here == 1 ? "" : "s") there): waiting for the master's TASK_LOST")]
        case .error(let message):
            finished = true
            return [.finish(.failed(message: "the master refused the framework (ERROR event): \(message)"))]
        case .heartbeat, .other:
            return []
        }
    }

    private mutating func subscribed(_ id: String, interval: Double?) -> [Action] {
        let again = subscribedOnce
        subscribedOnce = true
        frameworkID = id
        heartbeatIntervalSeconds = interval
        if configuration.killOnly {
            finished = true
            return [.call(.teardown), .say("framework \(id) torn down: its tasks are killed"), .finish(.tornDown(frameworkID: id))]
        }
        guard again else { return [.say("subscribed as framework \(id)")] }
        var actions: [Action] = [.say("resubscribed as framework \(id); reconciling \(liveTasks) task\(liveTasks == 1 ? "" : "s")")]
        let known = launchOrder.compactMap { taskID -> SchedulerCall.ReconcileTask? in
            guard let task = tasks[taskID], !TaskStatus.terminalStates.contains(task.state) else { return nil }
            return .init(taskID: taskID, agentID: task.agentID)
        }
        if !known.isEmpty { actions.append(.call(.reconcile(known))) }
        if stopping != nil {
            actions += known.map { .call(.kill(taskID: $0.taskID, agentID: $0.agentID)) }
            if known.isEmpty { actions += tearDown() }
        }
        return actions
    }

    private mutating func offered(_ offers: [Offer]) -> [Action] {
        var remaining = offers
        var launches: [[MesosTaskInfo]] = Array(repeating: [], count: offers.count)
        var actions: [Action] = []
        if needed > 0 {
            var load: [String: Int] = [:]
            for task in tasks.values where !TaskStatus.terminalStates.contains(task.state) { load[task.agentID, default: 0] += 1 }
            let order = offers.indices.sorted { (load[offers[$0].agentID] ?? 0, $0) < (load[offers[$1].agentID] ?? 0, $1) }
            let needs = site.request.needs
            var open = Set(order)
            while needed > 0 && !open.isEmpty {
                for index in order where open.contains(index) && needed > 0 {
                    switch OfferMatcher.fit(needs, remaining[index]) {
                    case .fits(let placement):
                        let info = launch(on: placement)
                        launches[index].append(info)
                        remaining[index] = remaining[index].remaining(after: placement, needs: needs)
                        actions.append(.say("\(info.taskID.value) STAGING on \(placement.offer.hostname):\(placement.port)"))
                    case .lacks(let lacks):
                        open.remove(index)
                        let line = "offer from \(offers[index].hostname) does not fit the task (\(needs.summary)): \(lacks.joined(separator: "; "))"
                        if launches[index].isEmpty, reportedLacks.insert(line).inserted { actions.append(.say(line)) }
                    }
                }
            }
        }
        var declined: [String] = []
        for (index, offer) in offers.enumerated() {
            if launches[index].isEmpty {
                declined.append(offer.id)
            } else {
                actions.append(.call(.accept(offerIDs: [offer.id], tasks: launches[index], refuseSeconds: site.request.refuseSeconds)))
            }
        }
        if !declined.isEmpty {
            actions.append(.call(.decline(offerIDs: declined, refuseSeconds: needed > 0 ? configuration.refuseSeconds : configuration.idleRefuseSeconds)))
        }
        if needed == 0 && !suppressed && stopping == nil && !finished {
            suppressed = true
            actions.append(.call(.suppress(roles: configuration.framework.effectiveRoles)))
        }
        return actions
    }

    /// The TaskInfo of the next instance: the site's task with an id unique in this framework.
    private mutating func launch(on placement: Placement) -> MesosTaskInfo {
        var info = site.taskInfo(on: placement)
        launched += 1
        let id = configuration.instances == 1 && launched == 1 ? site.taskID : "\(site.taskID)-\(launched)"
        info.taskID = .init(id)
        tasks[id] = Tracked(agentID: placement.offer.agentID, host: placement.offer.hostname, port: placement.port, state: "TASK_STAGING")
        launchOrder.append(id)
        return info
    }

    private func acknowledgement(of event: SchedulerEvent) -> [Action] {
        guard case .update(let status) = event, let uuid = status.uuid, let agentID = status.agentID else { return [] }
        return [.call(.acknowledge(agentID: agentID, taskID: status.taskID, uuid: uuid))]
    }

    private mutating func update(_ status: TaskStatus) -> [Action] {
        var actions = acknowledgement(of: .update(status))
        guard var task = tasks[status.taskID] else { return actions }
        let changed = task.state != status.state || (status.healthy != nil && task.healthy != status.healthy)
        task.wasStaging = task.state == "TASK_STAGING"
        task.state = status.state
        if let healthy = status.healthy { task.healthy = healthy }
        if let agentID = status.agentID { task.agentID = agentID }
        tasks[status.taskID] = task
        if changed { actions.append(.say(Self.describe(status))) }
        guard changed else { return actions }

        if stopping != nil {
            if liveTasks == 0 { actions += tearDown() }
            return actions
        }
        if status.isTerminal {
            actions += terminated(status)
        } else if !isReady, liveTasks == configuration.instances, tasks.values.allSatisfy({ isServing($0) || TaskStatus.terminalStates.contains($0.state) }) {
            isReady = true
            actions.append(.ready(endpoints))
            if configuration.detach, let frameworkID {
                finished = true
                actions.append(.finish(.detached(frameworkID: frameworkID)))
            }
        }
        return actions
    }

    /// A task ended while the framework was not stopping: fail the launch, or replace it.
    private mutating func terminated(_ status: TaskStatus) -> [Action] {
        let detail = Self.failure(status, host: tasks[status.taskID]?.host, artifact: site.artifact.text)
        // The task never reached an agent: its offer was gone, or the master does not know it (the ACCEPT
        // was lost with a dropped subscription). Launching another is the whole remedy.
        let neverStarted = status.reason == "REASON_INVALID_OFFERS" || status.reason == "REASON_RECONCILIATION" && tasks[status.taskID]?.wasStaging == true
        if neverStarted || isReady && replaced < configuration.maximumReplacements {
            replaced += neverStarted ? 0 : 1
            var actions: [Action] = [.say("replacing \(status.taskID): \(detail)")]
            if suppressed {
                suppressed = false
                actions.append(.call(.revive(roles: configuration.framework.effectiveRoles)))
            }
            return actions
        }
        let why = isReady ? "\(detail) (after \(replaced) replacements, giving up)" : detail
        return beginStopping(.failed(why))
    }

    // MARK: - Stopping

    /// SIGINT/SIGTERM: kill every task, then tear the framework down once they are gone.
    public mutating func stop() -> [Action] {
        guard !finished else { return [] }
        if stopping != nil { return [] }
        return beginStopping(.requested)
    }

    /// `--timeout` passed: a launch that is not ready fails; a stop that waits too long for its kills
    /// tears down anyway (TEARDOWN kills every task too).
    public mutating func timedOut(after seconds: String) -> [Action] {
        guard !finished else { return [] }
        if stopping != nil { return tearDown() }
        if isReady { return [] }
        let states = launchOrder.compactMap { id in tasks[id].map { "\(id) \($0.state.dropFirst(5))\($0.healthy == false ? " (unhealthy)" : "")" } }
        let summary = states.isEmpty ? "no task was launched: no offer fitted (see the lines above), or none came" : states.joined(separator: ", ")
        return beginStopping(.failed("not ready within \(seconds) (--timeout): \(summary)"))
    }

    private mutating func beginStopping(_ reason: Stopping) -> [Action] {
        stopping = reason
        let live = launchOrder.filter { tasks[$0].map { !TaskStatus.terminalStates.contains($0.state) } ?? false }
        guard frameworkID != nil else {
            finished = true
            return [.finish(outcome)]
        }
        guard !live.isEmpty else { return tearDown() }
        var actions: [Action] = []
        if case .failed(let message) = reason { actions.append(.say("launch failed: \(message)")) }
        actions.append(.say("killing \(live.count) task\(live.count == 1 ? "" : "s")"))
        actions += live.map { .call(.kill(taskID: $0, agentID: tasks[$0]?.agentID)) }
        return actions
    }

    private mutating func tearDown() -> [Action] {
        finished = true
        var actions: [Action] = []
        if let frameworkID {
            actions += [.call(.teardown), .say("framework \(frameworkID) torn down")]
        }
        return actions + [.finish(outcome)]
    }

    private var outcome: Outcome {
        if case .failed(let message) = stopping { return .failed(message: message) }
        return .stopped
    }

    // MARK: - Reporting

    /// Whether a task serves: RUNNING and healthy, or RUNNING without a health check.
    private func isServing(_ task: Tracked) -> Bool {
        task.state == "TASK_RUNNING" && (site.request.healthPath == nil || task.healthy == true)
    }

    /// The live tasks, in launch order.
    public var endpoints: [SiteEndpoint] {
        launchOrder.compactMap { id in
            guard let task = tasks[id], !TaskStatus.terminalStates.contains(task.state) else { return nil }
            return SiteEndpoint(taskID: id, agentID: task.agentID, host: task.host, port: task.port,
                                url: "http://\(task.host):\(task.port)/", state: task.state, healthy: task.healthy)
        }
    }

    /// A transition line: `ID RUNNING`, `ID healthy`, `ID FAILED: message (reason)`.
    static func describe(_ status: TaskStatus) -> String {
        var line = "\(status.taskID) \(status.shortState)"
        if status.state == "TASK_RUNNING", let healthy = status.healthy { line = "\(status.taskID) \(healthy ? "healthy" : "unhealthy")" }
        var details: [String] = []
        if let message = status.message, !message.isEmpty, status.isTerminal || status.healthy == false { details.append(message) }
        if let reason = status.reason, status.isTerminal { details.append(reason) }
        return details.isEmpty ? line : line + ": " + details.joined(separator: "; ")
    }

    /// What went wrong with a terminated task, and what to do.
    static func failure(_ status: TaskStatus, host: String?, artifact: String) -> String {
        var text = "task \(status.taskID)\(host.map { " on \($0)" } ?? "") is \(status.state)"
        if let reason = status.reason { text += " (\(reason))" }
        if let message = status.message, !message.isEmpty { text += ": \(message)" }
        switch status.reason {
        case "REASON_CONTAINER_LAUNCH_FAILED":
            text += ". The agent could not fetch the artifact into the sandbox (or start the container): run `sitepack check \(artifact)` to fetch and run the same artifact locally and see which step breaks"
        case "REASON_TASK_INVALID":
            text += ". The master refused the TaskInfo; `sitepack check --task FILE` validates one as the master does"
        case "REASON_INVALID_OFFERS":
            text += ". The offer was rescinded or used up before the ACCEPT arrived"
        case "REASON_RECONCILIATION":
            text += ". The master does not know the task (its ACCEPT was lost while the subscription was down)"
        case "REASON_TASK_HEALTH_CHECK_STATUS_UPDATED", "REASON_COMMAND_EXECUTOR_FAILED":
            text += ". The command ended or failed its health check; its stderr is in the agent's sandbox"
        default:
            break
        }
        return text
    }
}

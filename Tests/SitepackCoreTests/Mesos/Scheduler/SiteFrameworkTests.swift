import Foundation
@testable import SitepackCore
import Testing

/// The framework's state machine, event by event: which calls it makes and which it never makes.
@Suite("SiteFramework: events in, calls out")
struct SiteFrameworkTests {
    static func site(healthPath: String? = "/", port: UInt64? = nil) throws -> SiteTask {
        try SiteTask(SiteTaskRequest(artifact: MesosFixtures.artifact, needs: TaskNeeds(cpus: 0.1, mem: 32, port: port), healthPath: healthPath),
                     randomHex: { "0000abcd" })
    }

    static func offer(_ number: Int, agent: Int? = nil, cpus: Double = 1, mem: Double = 512, ports: ClosedRange<UInt64> = 31000...31009) -> Offer {
        let agent = agent ?? number
        let role: [String: MesosJSON] = ["role": .string("*")]
        return Offer(id: "O\(number)", frameworkID: "F", agentID: "S\(agent)", hostname: "agent\(agent).example", resources: [
            OfferedResource(name: "cpus", type: "SCALAR", scalar: cpus, metadata: role),
            OfferedResource(name: "mem", type: "SCALAR", scalar: mem, metadata: role),
            OfferedResource(name: "ports", type: "RANGES", ranges: [ValueRange(begin: ports.lowerBound, end: ports.upperBound)], metadata: role),
        ])
    }

    static func framework(instances: Int = 1, detach: Bool = false, killOnly: Bool = false, site: SiteTask? = nil, id: String? = nil) throws -> SiteFramework {
        SiteFramework(configuration: .init(framework: FrameworkInfo(user: "nobody", name: "sitepack", id: id), instances: instances,
                                           detach: detach, killOnly: killOnly), site: try site ?? Self.site())
    }

    static func calls(_ actions: [SiteFramework.Action]) -> [SchedulerCall] {
        actions.compactMap { if case .call(let call) = $0 { return call } else { return nil } }
    }

    static func accepted(_ actions: [SiteFramework.Action]) -> [(offer: String, tasks: [MesosTaskInfo])] {
        calls(actions).compactMap { if case .accept(let ids, let tasks, _) = $0 { return (ids[0], tasks) } else { return nil } }
    }

    static func update(_ task: String, _ state: String, agent: String = "S1", uuid: String? = "q83vEjRWeJCrze8SNFZ4kA==", healthy: Bool? = nil,
                       reason: String? = nil, message: String? = nil) -> SchedulerEvent {
        .update(TaskStatus(taskID: task, state: state, agentID: agent, message: message, reason: reason, uuid: uuid, healthy: healthy))
    }

    /// Subscribes and launches `instances` tasks on one offer each; returns the task ids and agents.
    static func launched(_ framework: inout SiteFramework, offers: [Offer]) -> [(id: String, agent: String)] {
        _ = framework.handle(.subscribed(frameworkID: "F", heartbeatIntervalSeconds: 15))
        return accepted(framework.handle(.offers(offers))).flatMap { accept in accept.tasks.map { ($0.taskID.value, $0.agentID.value) } }
    }

    @Test("offers: one task an agent while agents are free, the rest declined for long, then SUPPRESS")
    func spreadsAndSuppresses() throws {
        var framework = try Self.framework(instances: 2)
        #expect(framework.handle(.subscribed(frameworkID: "F", heartbeatIntervalSeconds: 15)) == [.say("subscribed as framework F")])
        let actions = framework.handle(.offers([Self.offer(1), Self.offer(2), Self.offer(3)]))
        let accepts = Self.accepted(actions)
        #expect(accepts.map(\.offer) == ["O1", "O2"])
        #expect(accepts.allSatisfy { $0.tasks.count == 1 })
        #expect(Set(accepts.map { $0.tasks[0].taskID.value }).count == 2)
        let calls = Self.calls(actions)
        #expect(calls.contains(.decline(offerIDs: ["O3"], refuseSeconds: 600)))
        #expect(calls.last == .suppress(roles: ["*"]))
        // Later offers are declined, never accepted, and SUPPRESS is not repeated.
        let later = Self.calls(framework.handle(.offers([Self.offer(4)])))
        #expect(later == [.decline(offerIDs: ["O4"], refuseSeconds: 600)])
    }

    @Test("more instances than agents: several tasks on one offer, each with its own port, within its resources")
    func severalOnOneOffer() throws {
        var framework = try Self.framework(instances: 3)
        _ = framework.handle(.subscribed(frameworkID: "F", heartbeatIntervalSeconds: 15))
        let accepts = Self.accepted(framework.handle(.offers([Self.offer(1, cpus: 0.25, mem: 512)])))
        // 0.25 cpus hold two tasks of 0.1: the third waits for another offer.
        #expect(accepts.count == 1 && accepts[0].tasks.count == 2)
        let ports = accepts[0].tasks.map { $0.discovery.ports.ports[0].number }
        #expect(ports == [31000, 31001])
        let next = framework.handle(.offers([Self.offer(2, agent: 2)]))
        #expect(Self.accepted(next).map(\.tasks.count) == [1])
        #expect(Self.calls(next).last == .suppress(roles: ["*"]))
    }

    @Test("an offer that does not fit is declined with the short refuse filter, and what it lacks is said once")
    func unfitOffer() throws {
        var framework = try Self.framework()
        _ = framework.handle(.subscribed(frameworkID: "F", heartbeatIntervalSeconds: 15))
        let actions = framework.handle(.offers([Self.offer(1, cpus: 0.05)]))
        #expect(Self.calls(actions) == [.decline(offerIDs: ["O1"], refuseSeconds: 5)])
        #expect(actions.contains { if case .say(let line) = $0 { return line.contains("cpus: 0.1 needed, 0.05 offered") } else { return false } })
        #expect(!framework.handle(.offers([Self.offer(2, agent: 1, cpus: 0.05)])).contains { if case .say = $0 { return true } else { return false } })
    }

    @Test("ACKNOWLEDGE exactly the updates with a uuid, again when one is re-sent; ready once RUNNING and healthy")
    func acknowledgesAndBecomesReady() throws {
        var framework = try Self.framework()
        let task = try #require(Self.launched(&framework, offers: [Self.offer(1)]).first)
        let ack = SchedulerCall.acknowledge(agentID: "S1", taskID: task.id, uuid: "q83vEjRWeJCrze8SNFZ4kA==")
        let starting = framework.handle(Self.update(task.id, "TASK_STARTING"))
        #expect(Self.calls(starting) == [ack])
        #expect(starting.contains(.say("\(task.id) STARTING")))
        // The agent re-sends an update until it is acknowledged: acknowledged again, printed once.
        #expect(framework.handle(Self.update(task.id, "TASK_STARTING")) == [.call(ack)])
        let running = framework.handle(Self.update(task.id, "TASK_RUNNING"))
        #expect(!running.contains { if case .ready = $0 { return true } else { return false } })
        let healthy = framework.handle(Self.update(task.id, "TASK_RUNNING", healthy: true))
        #expect(healthy.contains(.say("\(task.id) healthy")))
        guard case .ready(let endpoints)? = healthy.last else { Issue.record("not ready: \(healthy)"); return }
        #expect(endpoints.map(\.url) == ["http://agent1.example:31000/"])
        // A master-generated update (no uuid) is never acknowledged.
        #expect(Self.calls(framework.handle(Self.update(task.id, "TASK_RUNNING", uuid: nil, healthy: true))).isEmpty)
    }

    @Test("without a health check, RUNNING is ready")
    func readyWithoutHealthCheck() throws {
        var framework = try Self.framework(site: Self.site(healthPath: nil))
        let task = try #require(Self.launched(&framework, offers: [Self.offer(1)]).first)
        #expect(framework.handle(Self.update(task.id, "TASK_RUNNING")).contains { if case .ready = $0 { return true } else { return false } })
    }

    @Test("a fetch failure before ready fails the launch: the reason explained, sitepack check suggested, the others killed, then TEARDOWN")
    func fetchFailureFails() throws {
        var framework = try Self.framework(instances: 2)
        let tasks = Self.launched(&framework, offers: [Self.offer(1), Self.offer(2)])
        let failed = framework.handle(Self.update(tasks[0].id, "TASK_FAILED", reason: "REASON_CONTAINER_LAUNCH_FAILED",
                                                  message: "Failed to launch container: Failed to fetch all URIs for container 'c1': exited with status 1"))
        #expect(Self.calls(failed).contains(.kill(taskID: tasks[1].id, agentID: tasks[1].agent)))
        #expect(!Self.calls(failed).contains(.teardown))
        let killed = framework.handle(Self.update(tasks[1].id, "TASK_KILLED", agent: tasks[1].agent))
        #expect(Self.calls(killed).suffix(1) == [.teardown])
        guard case .finish(.failed(let message))? = killed.last else { Issue.record("not failed: \(killed)"); return }
        #expect(message.contains("REASON_CONTAINER_LAUNCH_FAILED"))
        #expect(message.contains("Failed to fetch all URIs"))
        #expect(message.contains("sitepack check \(MesosFixtures.artifact)"))
    }

    @Test("TASK_ERROR from the master (no uuid) fails the launch without an ACKNOWLEDGE")
    func taskErrorFails() throws {
        var framework = try Self.framework()
        let task = try #require(Self.launched(&framework, offers: [Self.offer(1)]).first)
        let actions = framework.handle(Self.update(task.id, "TASK_ERROR", uuid: nil, reason: "REASON_TASK_INVALID", message: "Task uses no resources"))
        #expect(Self.calls(actions) == [.teardown])
        guard case .finish(.failed(let message))? = actions.last else { Issue.record("not failed"); return }
        #expect(message.contains("Task uses no resources") && message.contains("REASON_TASK_INVALID"))
    }

    @Test("a task lost after ready is replaced: REVIVE, a new launch, SUPPRESS again")
    func replacesLostTask() throws {
        var framework = try Self.framework(site: Self.site(healthPath: nil))
        let task = try #require(Self.launched(&framework, offers: [Self.offer(1)]).first)
        _ = framework.handle(Self.update(task.id, "TASK_RUNNING"))
        let lost = framework.handle(Self.update(task.id, "TASK_LOST", reason: "REASON_AGENT_REMOVED"))
        #expect(Self.calls(lost).contains(.revive(roles: ["*"])))
        #expect(framework.subscribeCall == .subscribe(FrameworkInfo(user: "nobody", name: "sitepack", id: "F"), suppressedRoles: []))
        let again = framework.handle(.offers([Self.offer(2, agent: 2)]))
        let accepts = Self.accepted(again)
        #expect(accepts.count == 1 && accepts[0].tasks[0].taskID.value != task.id)
        #expect(Self.calls(again).last == .suppress(roles: ["*"]))
    }

    @Test("a rescinded offer's task (TASK_LOST, REASON_INVALID_OFFERS) is replaced even before ready")
    func rescindedOfferReplaced() throws {
        var framework = try Self.framework()
        let task = try #require(Self.launched(&framework, offers: [Self.offer(1)]).first)
        #expect(framework.handle(.rescind(offerID: "O1")) == [.say("offer O1 rescinded by the master")])
        let lost = framework.handle(Self.update(task.id, "TASK_LOST", uuid: nil, reason: "REASON_INVALID_OFFERS"))
        #expect(Self.calls(lost) == [.revive(roles: ["*"])])
        #expect(Self.accepted(framework.handle(.offers([Self.offer(2)]))).count == 1)
    }

    @Test("a task the master does not know after resubscribing (its ACCEPT lost with the stream) is launched again")
    func lostAcceptReplaced() throws {
        var framework = try Self.framework()
        let task = try #require(Self.launched(&framework, offers: [Self.offer(1)]).first)
        _ = framework.handle(.subscribed(frameworkID: "F", heartbeatIntervalSeconds: 15))
        let lost = framework.handle(Self.update(task.id, "TASK_LOST", uuid: nil, reason: "REASON_RECONCILIATION"))
        #expect(Self.calls(lost) == [.revive(roles: ["*"])])
        #expect(Self.accepted(framework.handle(.offers([Self.offer(2)]))).count == 1)
    }

    @Test("stop: KILL every live task, TEARDOWN once all are KILLED, then finish stopped")
    func stopKillsThenTearsDown() throws {
        var framework = try Self.framework(instances: 2)
        let tasks = Self.launched(&framework, offers: [Self.offer(1), Self.offer(2)])
        let stop = framework.stop()
        #expect(Self.calls(stop) == tasks.map { .kill(taskID: $0.id, agentID: $0.agent) })
        let first = framework.handle(Self.update(tasks[0].id, "TASK_KILLED", agent: tasks[0].agent))
        #expect(!Self.calls(first).contains(.teardown))
        let second = framework.handle(Self.update(tasks[1].id, "TASK_KILLED", agent: tasks[1].agent))
        #expect(Self.calls(second).last == .teardown)
        #expect(second.last == .finish(.stopped))
        // Updates after the end are still acknowledged, nothing else.
        #expect(Self.calls(framework.handle(Self.update(tasks[1].id, "TASK_KILLED", agent: tasks[1].agent))).map(\.type) == ["ACKNOWLEDGE"])
    }

    @Test("after resubscribing, RECONCILE the known live tasks")
    func reconcilesAfterResubscribe() throws {
        var framework = try Self.framework()
        let task = try #require(Self.launched(&framework, offers: [Self.offer(1)]).first)
        #expect(framework.subscribeCall == .subscribe(FrameworkInfo(user: "nobody", name: "sitepack", id: "F"), suppressedRoles: ["*"]))
        let again = framework.handle(.subscribed(frameworkID: "F", heartbeatIntervalSeconds: 15))
        #expect(Self.calls(again) == [.reconcile([.init(taskID: task.id, agentID: "S1")])])
    }

    @Test("--detach finishes with the framework id once ready; --kill tears the framework down on SUBSCRIBED")
    func detachAndKill() throws {
        var detached = try Self.framework(detach: true, site: Self.site(healthPath: nil))
        let task = try #require(Self.launched(&detached, offers: [Self.offer(1)]).first)
        let running = detached.handle(Self.update(task.id, "TASK_RUNNING"))
        #expect(running.last == .finish(.detached(frameworkID: "F")))
        #expect(!Self.calls(running).contains(.teardown))

        var killer = try Self.framework(killOnly: true, id: "F-7")
        #expect(killer.subscribeCall == .subscribe(FrameworkInfo(user: "nobody", name: "sitepack", id: "F-7"), suppressedRoles: []))
        let actions = killer.handle(.subscribed(frameworkID: "F-7", heartbeatIntervalSeconds: 15))
        #expect(Self.calls(actions) == [.teardown])
        #expect(actions.last == .finish(.tornDown(frameworkID: "F-7")))
    }

    @Test("an ERROR event ends the framework; a timeout before ready fails with each task's state")
    func errorAndTimeout() throws {
        var refused = try Self.framework()
        #expect(refused.handle(.error(message: "Framework has been removed")) == [.finish(.failed(message: "the master refused the framework (ERROR event): Framework has been removed"))])

        var slow = try Self.framework()
        let task = try #require(Self.launched(&slow, offers: [Self.offer(1)]).first)
        _ = slow.handle(Self.update(task.id, "TASK_RUNNING", healthy: false))
        let actions = slow.timedOut(after: "60 s")
        #expect(Self.calls(actions) == [.kill(taskID: task.id, agentID: "S1")])
        let end = slow.handle(Self.update(task.id, "TASK_KILLED"))
        guard case .finish(.failed(let message))? = end.last else { Issue.record("not failed"); return }
        #expect(message.contains("not ready within 60 s") && message.contains("RUNNING (unhealthy)"))
    }
}

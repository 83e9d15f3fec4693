import Foundation
@testable import SitepackCore
import Testing

/// Calls written and events read in Mesos's JSON mapping (mesos.md §3.2, §3.5, §3.7).
@Suite("scheduler calls and events: Mesos's JSON")
struct SchedulerMessagesTests {
    static func json(_ call: SchedulerCall, frameworkID: String? = "F-0001") throws -> MesosJSON {
        try MesosJSON.parse(call.body(frameworkID: frameworkID), source: "call")
    }

    @Test("the first SUBSCRIBE has no framework id; a resubscribe names it at the top and in framework_info")
    func subscribe() throws {
        let info = FrameworkInfo(user: "nobody", name: "sitepack", roles: ["web"], principal: "ops", failoverTimeoutSeconds: 3600)
        let first = try Self.json(.subscribe(info, suppressedRoles: []), frameworkID: nil)
        #expect(first["type"]?.stringValue == "SUBSCRIBE")
        #expect(first["framework_id"] == nil)
        let framework = try #require(first["subscribe"]?["framework_info"])
        #expect(framework["user"]?.stringValue == "nobody")
        #expect(framework["name"]?.stringValue == "sitepack")
        #expect(framework["roles"] == .array([.string("web")]))
        #expect(framework["principal"]?.stringValue == "ops")
        #expect(framework["capabilities"]?[0]?["type"]?.stringValue == "MULTI_ROLE")
        #expect(framework["failover_timeout"]?.doubleValue == 3600)
        #expect(framework["id"] == nil)
        let again = try Self.json(.subscribe(info, suppressedRoles: ["web"]))
        #expect(again["framework_id"]?["value"]?.stringValue == "F-0001")
        #expect(again["subscribe"]?["framework_info"]?["id"]?["value"]?.stringValue == "F-0001")
        #expect(again["subscribe"]?["suppressed_roles"] == .array([.string("web")]))
    }

    @Test("ACKNOWLEDGE, DECLINE, RECONCILE, KILL, SUPPRESS, REVIVE and TEARDOWN have the proto's field names")
    func otherCalls() throws {
        let ack = try Self.json(.acknowledge(agentID: "S1", taskID: "t1", uuid: "q83vEjRWeJCrze8SNFZ4kA=="))
        #expect(ack["acknowledge"]?["agent_id"]?["value"]?.stringValue == "S1")
        #expect(ack["acknowledge"]?["task_id"]?["value"]?.stringValue == "t1")
        #expect(ack["acknowledge"]?["uuid"]?.stringValue == "q83vEjRWeJCrze8SNFZ4kA==")
        let decline = try Self.json(.decline(offerIDs: ["O1", "O2"], refuseSeconds: 600))
        #expect(decline["decline"]?["offer_ids"]?[1]?["value"]?.stringValue == "O2")
        #expect(decline["decline"]?["filters"]?["refuse_seconds"]?.doubleValue == 600)
        let reconcile = try Self.json(.reconcile([.init(taskID: "t1", agentID: "S1")]))
        #expect(reconcile["reconcile"]?["tasks"]?[0]?["agent_id"]?["value"]?.stringValue == "S1")
        let kill = try Self.json(.kill(taskID: "t1", agentID: "S1"))
        #expect(kill["kill"]?["task_id"]?["value"]?.stringValue == "t1")
        // REVIVE and SUPPRESS take `roles`, not the docs' `role` (mesos.md §3.7).
        #expect(try Self.json(.revive(roles: ["web"]))["revive"]?["roles"] == .array([.string("web")]))
        #expect(try Self.json(.suppress(roles: ["*"]))["suppress"]?["roles"] == .array([.string("*")]))
        #expect(try Self.json(.teardown)["type"]?.stringValue == "TEARDOWN")
    }

    @Test("ACCEPT launches the TaskInfos task builds, with LAUNCH and the refuse filter")
    func accept() throws {
        let site = try SiteFrameworkTests.site()
        let offer = try #require(MesosFixtures.sampleOffers().first)
        let placement = try OfferMatcher.place(site.request.needs, in: [offer])
        let call = try Self.json(.accept(offerIDs: [offer.id], tasks: [site.taskInfo(on: placement)], refuseSeconds: 5))
        #expect(call["accept"]?["offer_ids"]?[0]?["value"]?.stringValue == offer.id)
        #expect(call["accept"]?["operations"]?[0]?["type"]?.stringValue == "LAUNCH")
        let task = try #require(call["accept"]?["operations"]?[0]?["launch"]?["task_infos"]?[0])
        #expect(task["task_id"]?["value"]?.stringValue == site.taskID)
        #expect(task["agent_id"]?["value"]?.stringValue == offer.agentID)
        #expect(call["accept"]?["filters"]?["refuse_seconds"]?.doubleValue == 5)
        #expect(MasterValidation.firstProblem(task, offer: offer) == nil)
    }

    @Test("events: SUBSCRIBED, OFFERS, UPDATE with and without uuid, the real ERROR shape, HEARTBEAT")
    func events() throws {
        func event(_ text: String) throws -> SchedulerEvent { try SchedulerEvent(record: Data(text.utf8)) }
        #expect(try event(#"{"type":"SUBSCRIBED","subscribed":{"framework_id":{"value":"F"},"heartbeat_interval_seconds":15}}"#)
                == .subscribed(frameworkID: "F", heartbeatIntervalSeconds: 15))
        let offers = try Data(contentsOf: MesosFixtures.repositoryRoot.appendingPathComponent("samples/offer.json"))
        guard case .offers(let list) = try SchedulerEvent(record: offers) else { Issue.record("not OFFERS"); return }
        #expect(list.count == 1 && list[0].hostname == "mesos-agent")
        let update = try event(#"{"type":"UPDATE","update":{"status":{"task_id":{"value":"t"},"state":"TASK_RUNNING","agent_id":{"value":"S3"},"uuid":"q83vEjRWeJCrze8SNFZ4kA==","healthy":true}}}"#)
        #expect(update == .update(TaskStatus(taskID: "t", state: "TASK_RUNNING", agentID: "S3", uuid: "q83vEjRWeJCrze8SNFZ4kA==", healthy: true)))
        let master = try event(#"{"type":"UPDATE","update":{"status":{"task_id":{"value":"t"},"state":"TASK_ERROR","source":"SOURCE_MASTER","reason":"REASON_TASK_INVALID","message":"bad"}}}"#)
        if case .update(let status) = master { #expect(status.uuid == nil && status.isTerminal) } else { Issue.record("not UPDATE") }
        #expect(try event(#"{"type":"ERROR","error":{"message":"Framework has been removed"}}"#) == .error(message: "Framework has been removed"))
        #expect(try event(#"{"type":"HEARTBEAT"}"#) == .heartbeat)
        #expect(try event(#"{"type":"MESSAGE","message":{}}"#) == .other(type: "MESSAGE"))
        let notJSON = #expect(throws: SitepackError.self) { try event("<html>") }
        #expect(notJSON?.code == .notAMesosMaster)
    }

    @Test("--master forms and the 307 Location (protocol-relative) parse to a host and port")
    func masterAddress() throws {
        #expect(try MasterAddress(parsing: "http://m1:5050") == MasterAddress(host: "m1", port: 5050))
        #expect(try MasterAddress(parsing: "m2:5051/") == MasterAddress(host: "m2", port: 5051))
        #expect(try MasterAddress(parsing: "m3") == MasterAddress(host: "m3", port: 5050))
        #expect(MasterAddress(location: "//10.0.0.2:5050/api/v1/scheduler") == MasterAddress(host: "10.0.0.2", port: 5050))
        #expect(MasterAddress(location: "/api/v1/scheduler") == nil)
        #expect(throws: SitepackError.self) { try MasterAddress(parsing: "https://m1:5050") }
        #expect(throws: SitepackError.self) { try MasterAddress(parsing: "http://m1:99999") }
    }

    @Test("backoff doubles up to its cap, each delay jittered within its upper half")
    func backoff() {
        var backoff = Backoff(initial: 0.5, maximum: 4)
        let low = (0..<6).map { _ in backoff.next(random: { 0 }) }
        #expect(low == [0.25, 0.5, 1, 2, 2, 2])
        backoff.reset()
        #expect(backoff.next(random: { 0.999 }) < 0.5)
    }
}

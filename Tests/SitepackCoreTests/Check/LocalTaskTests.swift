import Foundation
@testable import SitepackCore
import Testing

/// Reading the task check runs: the three shapes of `--task`, the fields the local agent uses, and
/// the environment the command executor gives it (mesos.md §1.9).
@Suite("LocalTask, TaskDocument and the agent's environment")
struct LocalTaskTests {
    static let offer = SiteChecker.machineOffer(ports: [ValueRange(begin: 31005, end: 31005)])

    static let taskInfo = """
        {"name":"site","task_id":{"value":"site-1"},"agent_id":{"value":"S9"},
         "resources":[{"name":"ports","type":"RANGES","ranges":{"range":[{"begin":31005,"end":31005}]},"role":"*","allocation_info":{"role":"web"}}],
         "command":{"uris":[{"value":"http://h/sites/a/0000000000000000000000000000000000000000000000000000000000000000/content.tar.gz"}],
                    "environment":{"variables":[{"name":"PORT0","value":"31005"},{"name":"PATH","value":"/opt/bin"}]},
                    "value":"exec serve"},
         "health_check":{"type":"HTTP","http":{"port":31005,"path":"/index.html"},"delay_seconds":1},
         "kill_policy":{"grace_period":{"nanoseconds":2500000000}}}
        """

    @Test("a TaskInfo is read with its port, health check (proto defaults filled in) and kill grace period")
    func readsTaskInfo() throws {
        let document = try TaskDocument(Data(Self.taskInfo.utf8), source: "t.json", offer: Self.offer, port: 31005)
        #expect(document.shape == "TaskInfo")
        let task = try LocalTask(taskInfo: document.taskInfo, frameworkID: "F")
        #expect(task.taskID == "site-1")
        #expect(task.agentID == "S9")
        #expect(task.role == "web")
        #expect(task.port == 31005)
        #expect(task.shell)
        #expect(task.uris.count == 1 && task.uris[0].extract)
        #expect(task.healthCheck == LocalTask.HealthCheck(port: 31005, path: "/index.html", delaySeconds: 1, intervalSeconds: 10,
                                                          timeoutSeconds: 20, consecutiveFailures: 3, gracePeriodSeconds: 10))
        #expect(task.killGracePeriod == .milliseconds(2500))
    }

    @Test("an ACCEPT call gives its first LAUNCH task and its framework id")
    func readsAccept() throws {
        let accept = #"{"framework_id":{"value":"FW"},"type":"ACCEPT","accept":{"offer_ids":[{"value":"O"}],"operations":[{"type":"LAUNCH","launch":{"task_infos":["# + Self.taskInfo + "]}}]}}"
        let document = try TaskDocument(Data(accept.utf8), source: "a.json", offer: Self.offer, port: 31005)
        #expect(document.shape == "ACCEPT call")
        #expect(document.frameworkID == "FW")
        #expect(document.taskInfo["task_id"]?["value"]?.stringValue == "site-1")
    }

    @Test("a Marathon app becomes the TaskInfo Marathon would launch on the offered port, valid for the master")
    func readsMarathon() throws {
        let app = #"{"id":"/sites/docs","cmd":"exec serve $PORT0","cpus":0.1,"mem":64,"fetch":[{"uri":"http://h/x/content.tar.gz"}],"healthChecks":[{"protocol":"MESOS_HTTP","path":"/"}],"taskKillGracePeriodSeconds":4}"#
        let document = try TaskDocument(Data(app.utf8), source: "app.json", offer: Self.offer, port: 31005)
        #expect(document.shape == "Marathon app")
        #expect(MasterValidation.problems(document.taskInfo, offer: Self.offer).isEmpty)
        let task = try LocalTask(taskInfo: document.taskInfo, frameworkID: "F")
        #expect(task.port == 31005)
        #expect(task.environment.contains { $0.name == "PORT0" && $0.value == "31005" })
        #expect(task.healthCheck?.gracePeriodSeconds == 300)
        #expect(task.killGracePeriod == .seconds(4))
        #expect(task.uris.map(\.value) == ["http://h/x/content.tar.gz"])
    }

    @Test("the environment holds Mesos's executor variables, the role and PATH, and the task's own variables win")
    func environment() throws {
        let document = try TaskDocument(Data(Self.taskInfo.utf8), source: "t.json", offer: Self.offer, port: 31005)
        let task = try LocalTask(taskInfo: document.taskInfo, frameworkID: "F")
        let agent = try LocalAgent(task: task)
        defer { agent.remove() }
        var mode = stat()
        #expect(stat(agent.sandbox, &mode) == 0 && mode.st_mode & 0o777 == 0o755)
        #expect(agent.sandbox.contains("/slaves/S9/frameworks/F/executors/site-1/runs/"))
        let environment = Dictionary(agent.environment(for: task).map { ($0.name, $0.value) }, uniquingKeysWith: { _, last in last })
        #expect(environment["MESOS_SANDBOX"] == agent.sandbox)
        #expect(environment["MESOS_DIRECTORY"] == agent.sandbox)
        #expect(environment["MESOS_FRAMEWORK_ID"] == "F")
        #expect(environment["MESOS_EXECUTOR_ID"] == "site-1")
        #expect(environment["MESOS_SLAVE_ID"] == "S9")
        #expect(environment["MESOS_AGENT_ENDPOINT"] == LocalAgent.agentEndpoint)
        #expect(environment["MESOS_ALLOCATION_ROLE"] == "web")
        #expect(environment["LIBPROCESS_PORT"] == "0")
        #expect(environment["PORT0"] == "31005")
        #expect(environment["PATH"] == "/opt/bin")
        #expect(environment["HOME"] == nil)
    }
}
